"""Record lists as tables for the web chat (kernel/record_tables.py), beside the numbered text
and buttons WeChat and Telegram show."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from actions.queries import render
from actions.queries.render import Query
from actions.records import statuses
from actions.records.repository import (
    PAGE_SIZE,
    ApplicationKind,
    ApplicationLine,
    AppointmentLine,
    Page,
    TaxBillSummary,
    VehicleLine,
)
from kernel import record_tables
from kernel.clock import CHINA_TZ
from tests.unit.test_query_headings import clearance

MOMENT = datetime(2026, 11, 3, 9, tzinfo=CHINA_TZ)


def page(items: list, total: int | None = None, number: int = 1) -> Page:
    return Page(items, len(items) if total is None else total, number)


def tax_bill(n: int, paid: bool) -> TaxBillSummary:
    return TaxBillSummary(
        f"TX{n:016d}", f"2100{n:014d}", Decimal("23.10"), "北京海关", "2" if paid else "1",
        MOMENT, date(2026, 11, 4) if paid else None,
    )  # fmt: skip


def application(
    n: int, kind: ApplicationKind, signed: bool | None, expired: bool
) -> ApplicationLine:
    status = "1" if kind is ApplicationKind.EXPORT else statuses.PRINT_SIGNED_READY
    return ApplicationLine(
        f"DY{n:010d}", kind, signed, f"0101{n:014d}", status, MOMENT,
        None if expired else datetime(2026, 12, 3, tzinfo=CHINA_TZ), expired,
    )  # fmt: skip


def appointment(n: int, flag: str, status: str) -> AppointmentLine:
    return AppointmentLine(
        f"YW{n:016d}", f"YY{n:010d}", f"京A1234{n}", flag, "普通", status, date(2026, 11, 2)
    )


def the_table(message: dict) -> record_tables.RecordTable:
    table = message["custom"][record_tables.KEY]
    for row in table["rows"]:
        assert len(row["cells"]) == len(table["columns"])
        assert all(isinstance(cell, str) and cell for cell in row["cells"])
    return table


def payloads(message: dict) -> list[str]:
    return [b["payload"] for b in message["buttons"]]


def test_clearances_a_row_per_record_with_its_details_button() -> None:
    items = [clearance(n) for n in range(PAGE_SIZE)]
    message = render.clearances(page(items, total=12), None, "month")
    table = the_table(message)
    assert table["columns"] == ["清单编号", "电商平台", "金额", "通关状态", "入库日期"]
    assert [r["cells"][0] for r in table["rows"]] == [c.inventory_no for c in items]
    assert table["rows"][0]["cells"][1:] == ["天猫国际", "199.00 元", "放行", "2026-11-03"]
    # The row's button is the detail button the text channels show, titled for the row.
    details = [b for b in message["buttons"] if b["title"].endswith("明细")]
    assert [r["action"] for r in table["rows"]] == [
        {"title": "详情", "payload": b["payload"]} for b in details
    ]
    assert details[0]["payload"] == render.payload(Query.CLEARANCE, record_no=items[0].inventory_no)
    assert table["pager"] == "第 1-5 条，共 12 条"
    assert table["more"] == next(b for b in message["buttons"] if b["title"] == "更多")
    assert table["more"]["payload"] in payloads(message)
    # The numbered text for WeChat and Telegram is still there, a line per record.
    assert message["text"].splitlines()[1].startswith(f"1. 清单编号 {items[0].inventory_no}｜")


def test_tax_bills_a_row_per_bill_and_the_filters_stay_buttons() -> None:
    items = [tax_bill(1, paid=True), tax_bill(2, paid=False)]
    message = render.tax_bills(page(items), None, "", "")
    table = the_table(message)
    assert table["columns"] == ["税款编号", "应缴税款", "状态", "口岸", "入库日期"]
    assert table["rows"][0]["cells"] == [
        items[0].tax_no,
        "23.10 元",
        "已入库",
        "北京海关",
        "2026-11-04",
    ]
    assert table["rows"][1]["cells"][-1] == "—"
    assert all(r["action"]["title"] == "详情" for r in table["rows"])
    assert table["more"] is None and table["pager"] == "共 2 条"
    assert "只看已入库" in [b["title"] for b in message["buttons"]]
    assert message["text"].splitlines()[1].endswith("｜北京海关｜入库日期 2026-11-04")


@pytest.mark.parametrize("kind", [ApplicationKind.PRINT, ApplicationKind.EXPORT])
def test_applications_rows_without_buttons_and_the_statuses_explained(kind) -> None:
    signed = True if kind is ApplicationKind.PRINT else None
    items = [
        application(1, kind, signed, expired=False),
        application(2, kind, signed, expired=True),
    ]
    query = Query.PRINTS if kind is ApplicationKind.PRINT else Query.EXPORTS
    message = render.applications(page(items), query, None, "", "")
    table = the_table(message)
    signature = ["签章"] if kind is ApplicationKind.PRINT else []
    assert table["columns"] == ["申请编号", "报关单号", *signature, "状态", "申请日期", "文件"]
    assert table["rows"][0]["cells"][-1] == "可导出至 2026-12-03"
    assert table["rows"][1]["cells"][-1] == "文件已过期，需重新申请"
    if signature:
        assert table["rows"][0]["cells"][2] == "有签章"
    assert all(r["action"] is None for r in table["rows"])
    [note] = table["notes"]
    assert note.startswith("· ") and note in message["text"]


def test_vehicles_a_row_per_filing() -> None:
    items = [VehicleLine("京A12345", "厢式货车", "审核通过", date(2026, 5, 6))]
    message = render.vehicles(page(items))
    table = the_table(message)
    assert table["columns"] == ["车牌号", "车辆类型", "备案状态", "备案日期"]
    assert table["rows"] == [
        {"cells": ["京A12345", "厢式货车", "审核通过", "2026-05-06"], "action": None}
    ]
    assert message["text"].splitlines()[1] == "1. 京A12345｜厢式货车｜审核通过｜备案日期 2026-05-06"


def test_appointments_a_confirm_button_on_the_rows_that_may_be_confirmed() -> None:
    items = [
        appointment(1, "交货", statuses.APPOINTMENT_BOOKED),
        appointment(2, "提货", statuses.APPOINTMENT_BOOKED),
        appointment(3, "交货", statuses.APPOINTMENT_EMPTY),
    ]
    message = render.appointments(page(items), None, "")
    table = the_table(message)
    assert len(table["columns"]) == 7
    confirm = render.payload(Query.CONFIRM_DELIVERY, record_no=items[0].business_no)
    assert [r["action"] for r in table["rows"]] == [
        {"title": "交货确认", "payload": confirm},
        None,
        None,
    ]
    assert confirm in payloads(message)


def test_a_status_explained_before_the_list_and_its_table() -> None:
    message = render.explained(render.vehicles(page([])), "“审核中”的意思：正在审核")
    assert message["text"].startswith("“审核中”的意思：正在审核\n\n您企业的车辆备案")
    assert message["custom"]["records"]["intro"] == "“审核中”的意思：正在审核"


def test_a_row_with_a_cell_missing_is_refused() -> None:
    with pytest.raises(ValueError, match="2 cells for 3 columns"):
        record_tables.table("标题", ["a", "b", "c"], [record_tables.row(["1", "2"])], "共 1 条")
