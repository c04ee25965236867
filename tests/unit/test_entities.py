"""What a button sends is accepted; anything else is refused with the sentence for the user."""

from datetime import date

import pytest

from actions import entities
from actions.entities import BAD_PAGE, BAD_RECORD_NUMBER, NOT_UNDERSTOOD, BadEntity

TODAY = date(2026, 11, 24)


def test_what_buttons_send_is_accepted() -> None:
    assert entities.page(None) == entities.page("") == 1
    assert entities.page("2") == entities.page(2) == entities.page(" 2 ") == 2
    assert entities.page(str(entities.MAX_PAGE)) == entities.MAX_PAGE
    assert entities.year(None, TODAY) is None
    assert entities.year("2025", TODAY) == 2025 and entities.year("2000", TODAY) == 2000
    assert entities.year("2026", TODAY) == 2026
    assert entities.record_number("000022000000000012") == "000022000000000012"
    assert entities.record_number("T20261124000001") == "T20261124000001"
    assert entities.record_number(None) == ""
    assert entities.choice("month", {"month"}) == "month" and entities.choice(None, {"x"}) == ""


@pytest.mark.parametrize(
    ("parse", "value", "message"),
    [
        (entities.page, "²", BAD_PAGE),
        (entities.page, "１", BAD_PAGE),  # full-width: no button sends it
        (entities.page, str(entities.MAX_PAGE + 1), BAD_PAGE),
        (entities.page, False, BAD_PAGE),
        (entities.page, 2.0, BAD_PAGE),
        (entities.record_number, "12345", BAD_RECORD_NUMBER),
        (entities.record_number, "０００２２０００００００００００１２", BAD_RECORD_NUMBER),
        (entities.record_number, "0000 2200", BAD_RECORD_NUMBER),
        (lambda v: entities.choice(v, {"month"}), "Month", NOT_UNDERSTOOD),
        (lambda v: entities.text(v), "x" * (entities.MAX_CHARS + 1), NOT_UNDERSTOOD),
        (lambda v: entities.year(v, TODAY), "2027", "查询年份不正确"),
        (lambda v: entities.year(v, TODAY), "02025", "查询年份不正确"),
    ],
)
def test_anything_else_is_refused_with_a_sentence(parse, value, message: str) -> None:
    with pytest.raises(BadEntity) as refused:
        parse(value)
    assert str(refused.value).startswith(message)
