"""The heading of a record list: which records the page shows, then how many there are."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from actions.queries import render
from actions.records.repository import PAGE_SIZE, InventorySummary, Page, Period
from kernel.clock import CHINA_TZ


def clearance(n: int) -> InventorySummary:
    return InventorySummary(
        pre_entry_no=f"P{n:017d}",
        inventory_no=f"2100{n:014d}",
        order_no=f"DD{n:08d}",
        platform="天猫国际",
        merchant="示例跨境电商",
        status="800",
        stored_at=datetime(2026, 11, 3, 9, tzinfo=CHINA_TZ),
        total=Decimal("199.00"),
        returned=False,
    )


def page_of(number: int, total: int) -> Page[InventorySummary]:
    first = (number - 1) * PAGE_SIZE
    shown = range(first, min(first + PAGE_SIZE, total))
    return Page([clearance(n) for n in shown], total, number)


@pytest.mark.parametrize(
    ("number", "total", "expected"),
    [
        (1, 19, "第 1-5 条，共 19 条"),
        (2, 19, "第 6-10 条，共 19 条"),
        (4, 19, "第 16-19 条，共 19 条"),
        (2, 6, "第 6 条，共 6 条"),  # a single record on the last page
        (1, 3, "共 3 条"),  # everything on one page
        (1, 5, "共 5 条"),
        (1, 1, "共 1 条"),
        (5, 19, "共 19 条"),  # a page past the end shows nothing, and says how many there are
    ],
)
def test_the_pager_names_the_records_shown_then_the_total(
    number: int, total: int, expected: str
) -> None:
    assert render.pager(page_of(number, total)) == expected


def test_a_list_heads_its_text_and_its_table_with_the_pager() -> None:
    period = Period(date(2026, 11, 1), date(2026, 11, 24))
    message = render.clearances(page_of(2, 19), period, "month")
    heading = message["text"].splitlines()[0]
    assert heading == "您的跨境电商通关记录（2026-11-01 至 2026-11-24），第 6-10 条，共 19 条："
    table = message["custom"]["records"]
    assert table["title"] == "您的跨境电商通关记录（2026-11-01 至 2026-11-24）"
    assert table["pager"] == "第 6-10 条，共 19 条"


def test_a_list_on_one_page_says_only_how_many() -> None:
    message = render.clearances(page_of(1, 3), None, "")
    assert message["text"].splitlines()[0] == "您的跨境电商通关记录，共 3 条："
    assert "第" not in message["text"].splitlines()[0]
    assert "更多" not in [b["title"] for b in message["buttons"]]
