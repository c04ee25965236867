"""Numbers are entities first (issue 17): recognised, classified by their cue words, masked."""

import pytest

from actions.faq.understanding import Answer, Lookup, understand
from kernel import numbers
from nlu_components.folding import fold
from tests.faq_fixtures import parse, small_kb


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("13800138000", numbers.PHONE, "13800138000"),
        ("打4008009000能找到人工吗", numbers.PHONE, "4008009000"),
        ("查一下税单000022000000000025", numbers.TAX_BILL, "000022000000000025"),
        ("报关单 010220250000000071 能打印吗", numbers.DECLARATION, "010220250000000071"),
        ("清单编号 2025110100000012345 的通关情况", numbers.CLEARANCE, "2025110100000012345"),
        ("预约号yy20251201001查不到", numbers.APPOINTMENT, "YY20251201001"),
        ("京ad12345 车辆备案通过了吗", numbers.PLATE, "京AD12345"),
        # as plates are printed, a dot after the city's letter (sixth round)
        ("苏E·8K321 这辆车", numbers.PLATE, "苏E·8K321"),
        ("010220251000000088", numbers.RECORD, "010220251000000088"),
        # typed in groups, as read out or copied from a printed form (twelfth round)
        ("报关单号 0201 2026 0100 0456 78 查不到", numbers.DECLARATION, "020120260100045678"),
        ("税单 0000-2200-0000-0000-25", numbers.TAX_BILL, "000022000000000025"),
        ("138 0013 8000 这是我的电话", numbers.PHONE, "13800138000"),
        ("139-1234-5678", numbers.PHONE, "13912345678"),
    ],
)
def test_numbers_are_recognised_and_classified(text: str, kind: str, value: str) -> None:
    assert numbers.find(text)[0] == numbers.Number(kind, value)


@pytest.mark.parametrize(
    "text",
    [
        "12360是什么电话",
        "单件超过5000元",
        "2025年的额度",
        "ukey",
        "验证码123456",
        "2026-12-07 到期",
        "额度 26 000 元",
        "1210 9610 有什么区别",
    ],
)
def test_words_years_and_short_numbers_are_not_entities(text: str) -> None:
    assert numbers.find(text) == []
    assert fold(text) == fold(numbers.mask(text))


def test_the_selector_never_sees_a_number() -> None:
    assert fold("查一下税单000022000000000025") == fold("查一下税单")
    assert fold("13800138000") == ""


def test_a_message_that_is_little_more_than_a_number_is_a_lookup() -> None:
    kb = small_kb()
    ranking = [("cbec_quota", 0.9)]
    looked = understand(parse("税单000022000000000023详情", ranking), kb)
    assert looked == Lookup(numbers.Number(numbers.TAX_BILL, "000022000000000023"))
    assert isinstance(understand(parse("１３８００１３８０００", ranking), kb), Lookup)
    grouped = understand(parse("报关单 0102 2025 0000 0000 71", ranking), kb)
    assert grouped == Lookup(numbers.Number(numbers.DECLARATION, "010220250000000071"))
    long_question = "我的身份证号110101199001011234怎么查一下今年的额度还剩多少"
    assert isinstance(understand(parse(long_question, ranking), kb), Answer)


def test_complaint_words_are_left_to_the_apology_and_the_problem_is_matched() -> None:
    from kernel import complaints

    assert complaints.is_complaint("你们的系统太烂了，天天登不上")
    assert fold("你们的系统太烂了，天天登不上") == fold("你们的系统，天天登不上")
    assert not complaints.is_complaint("卡介质登录不上怎么办")


def test_gibberish_and_emoji_are_not_matched() -> None:
    from actions.faq.understanding import NotSure

    kb = small_kb()
    for text in ("abc", "😀", "？？？", "1"):
        assert understand(parse(text, [("cbec_quota", 0.9)]), kb) == NotSure(())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("额度2万6", [26000]),
        ("2.6万", [26000]),
        ("3千", [3000]),
        ("3千5", [3500]),
        ("1.5w", [15000]),
        ("两万六", [26000]),
        ("五千", [5000]),
        ("5000元", [5000]),
        ("买了300块的东西", [300]),
        ("2025年额度", []),
        ("京A12345", []),
        ("千万别忘了", []),
        ("万一超了怎么办", []),
    ],
)
def test_amounts_are_read_as_users_write_them(text: str, expected: list[int]) -> None:
    assert numbers.amounts(text) == expected

