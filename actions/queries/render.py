"""Records as chat messages: compact numbered lists, details on demand, every amount in yuan.

Every list says which records are shown and how many there are, and ends with buttons for the
details, the next page (更多) and a human; an empty list says what to check. Beside that text a
list carries the same records as a table (kernel/record_tables.py) in its custom payload: the
web chat draws it, one row per record with its own button; WeChat and Telegram show the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from actions.buttons import HANDOFF_BUTTON, Button
from actions.queries.conditions import QUICK_PICKS
from actions.records import statuses
from actions.records.money import show_yuan
from actions.records.repository import (
    PAGE_SIZE,
    ApplicationLine,
    AppointmentLine,
    Confirmation,
    ConfirmOutcome,
    InventoryDetail,
    InventorySummary,
    Page,
    Period,
    Quota,
    TaxBillDetail,
    TaxBillSummary,
    VehicleLine,
)
from actions.records.taxes import SINGLE_LIMIT
from kernel import payloads, record_tables
from kernel.clock import CHINA_TZ

Message = dict[str, Any]


class Query(StrEnum):
    QUOTA = "quota"
    CLEARANCES = "clearances"
    CLEARANCE = "clearance"
    TAX_BILLS = "tax_bills"
    TAX_BILL = "tax_bill"
    PRINTS = "prints"
    EXPORTS = "exports"
    VEHICLES = "vehicles"
    APPOINTMENTS = "appointments"
    CONFIRM_DELIVERY = "confirm_delivery"
    APPLY_PRINT = "apply_print"  # opens the application form
    APPLY_EXPORT = "apply_export"


def payload(query: Query, **conditions: str) -> str:
    return payloads.with_entities(payloads.QUERY_RECORDS, query=query.value, **conditions)


def button(title: str, query: Query, **conditions: str) -> Button:
    return {"title": title, "payload": payload(query, **conditions)}


def _day(moment: datetime | date) -> str:
    if isinstance(moment, datetime):
        moment = moment.astimezone(CHINA_TZ).date()
    return moment.isoformat()


def _rate(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def _status(table: dict[str, statuses.Status], code: str) -> str:
    known = table.get(code)
    return known.name if known else code


def pager(page: Page) -> str:
    """Which records the page shows and how many there are: 第 1-5 条，共 19 条."""
    first = (page.page - 1) * PAGE_SIZE + 1
    last = first + len(page.items) - 1
    if not page.items or page.total <= len(page.items):
        return f"共 {page.total} 条"  # everything on one page (or a page past the end)
    shown = f"第 {first} 条" if first == last else f"第 {first}-{last} 条"
    return f"{shown}，共 {page.total} 条"


def _title(title: str, period: Period | None) -> str:
    return title + (f"（{_day(period.first)} 至 {_day(period.last)}）" if period else "")


@dataclass(frozen=True)
class _Record:
    """One record of a list: its line of the numbered text, its cells of the table, and its
    button (a detail or an action on it), titled for the text channels."""

    line: str
    cells: Sequence[str]
    button: Button | None = None


def _list(
    title: str,
    columns: Sequence[str],
    page: Page,
    records: Sequence[_Record],
    more: Button,
    period: Period | None,
    notes: Sequence[str] = (),
    extra: Sequence[Button] = (),
    action: str = "详情",
) -> Message:
    """The numbered text and buttons, and the same records as a table; `action` titles a row's
    button in the table, where the record it is for goes without saying."""
    heading = f"{_title(title, period)}，{pager(page)}："
    first = (page.page - 1) * PAGE_SIZE + 1
    lines = [f"{i}. {r.line}" for i, r in enumerate(records, first)]
    text = "\n".join([heading, *lines, *notes])
    details = [r.button for r in records if r.button]
    next_page = more if page.has_more else None
    buttons = [*details, *([next_page] if next_page else []), *extra, HANDOFF_BUTTON]
    rows = [
        record_tables.row(
            r.cells,
            record_tables.Action(title=action, payload=r.button["payload"]) if r.button else None,
        )
        for r in records
    ]
    table = record_tables.table(
        _title(title, period),
        columns,
        rows,
        pager(page),
        notes,
        record_tables.Action(title=next_page["title"], payload=next_page["payload"])
        if next_page
        else None,
    )
    return {"text": text, "buttons": buttons, "custom": {record_tables.KEY: table}}


def explained(message: Message, explanation: str) -> Message:
    """The message with a line before it (a status's meaning), in its text and its table."""
    message["text"] = f"{explanation}\n\n{message['text']}"
    table = (message.get("custom") or {}).get(record_tables.KEY)
    if table is not None:
        table["intro"] = explanation
    return message


def _more(query: Query, page: Page, **conditions: str) -> Button:
    return button("更多", query, page=str(page.page + 1), **conditions)


def period_buttons(query: Query, status: str = "") -> list[Button]:
    picks = [
        button(title, query, period=pick, status=status) for pick, title in QUICK_PICKS.items()
    ]
    return [*picks, date_button(query, status)]


def date_button(query: Query, status: str = "") -> Button:
    """Opens period_form for this list (and its status filter)."""
    return button("按日期查询", query, ask="period", status=status)


def empty(what: str, hint: str, retry: Sequence[Button] = ()) -> Message:
    return {"text": f"没有查到{what}。{hint}", "buttons": [*retry, HANDOFF_BUTTON]}


# --- consumers ---------------------------------------------------------------------------


def quota(q: Quota, name: str, this_year: int) -> Message:
    lines = [
        f"{name}，您 {q.year} 年度的跨境电商个人额度：",
        f"· 年度限额：{show_yuan(q.limit)}",
        f"· 已使用：{show_yuan(q.used)}（{q.orders} 笔已放行订单）",
        f"· 剩余可用：{show_yuan(q.remaining)}",
        f"单次交易限值为 {show_yuan(SINGLE_LIMIT)}。额度数据可能有延迟，以海关系统为准；"
        "退货在放行后 30 天内退回的，额度会相应恢复。",
    ]
    other_year = this_year - 1 if q.year == this_year else this_year
    buttons = [
        button("我的通关记录", Query.CLEARANCES),
        button("我的税单", Query.TAX_BILLS),
        button(f"查询{other_year}年额度", Query.QUOTA, year=str(other_year)),
        HANDOFF_BUTTON,
    ]
    return {"text": "\n".join(lines), "buttons": buttons}


def clearances(page: Page[InventorySummary], period: Period | None, pick: str) -> Message:
    records = []
    for c in page.items:
        status = _status(statuses.CLEARANCE, c.status) + ("（已退货）" if c.returned else "")
        cells = [c.inventory_no, c.platform, show_yuan(c.total), status, _day(c.stored_at)]
        records.append(
            _Record(
                f"清单编号 {'｜'.join(cells)}",
                cells,
                button(
                    f"清单 …{c.inventory_no[-6:]} 明细", Query.CLEARANCE, record_no=c.inventory_no
                ),
            )
        )
    return _list(
        "您的跨境电商通关记录",
        ["清单编号", "电商平台", "金额", "通关状态", "入库日期"],
        page,
        records,
        _more(Query.CLEARANCES, page, period=pick),
        period,
        extra=[date_button(Query.CLEARANCES)],
    )


def clearance(detail: InventoryDetail) -> Message:
    c = detail.summary
    status = statuses.CLEARANCE.get(c.status)
    lines = [
        f"清单编号 {c.inventory_no}（预录入编号 {c.pre_entry_no}）",
        f"订单编号 {c.order_no}｜{c.platform}｜{c.merchant}｜{detail.port}",
        f"通关状态：{_status(statuses.CLEARANCE, c.status)}｜入库时间 {_day(c.stored_at)}",
        "商品明细：",
        *(
            f"{i.seq}. {i.name}（{i.hs_code}）{i.quantity}{i.unit} × {show_yuan(i.unit_price)}"
            f" = {show_yuan(i.total)}，{i.currency}，原产{i.origin}"
            for i in detail.items
        ),
        f"合计：{show_yuan(c.total)}",
    ]
    if status:
        lines.append(status.advice)
    return {
        "text": "\n".join(lines),
        "buttons": [button("返回通关记录", Query.CLEARANCES), HANDOFF_BUTTON],
    }


def tax_bills(page: Page[TaxBillSummary], period: Period | None, pick: str, status: str) -> Message:
    records = []
    for b in page.items:
        paid_on = _day(b.paid_on) if b.paid_on else "—"
        cells = [
            b.tax_no,
            show_yuan(b.amount),
            _status(statuses.TAX_BILL, b.status),
            b.port,
            paid_on,
        ]
        records.append(
            _Record(
                f"税款编号 {'｜'.join(cells[:-1])}｜入库日期 {paid_on}",
                cells,
                button(f"税单 …{b.tax_no[-6:]} 详情", Query.TAX_BILL, record_no=b.tax_no),
            )
        )
    filters = [
        button(f"只看{s.name}", Query.TAX_BILLS, status=code, period=pick)
        for code, s in statuses.TAX_BILL.items()
        if code != status
    ]
    return _list(
        "您的跨境电商税单",
        ["税款编号", "应缴税款", "状态", "口岸", "入库日期"],
        page,
        records,
        _more(Query.TAX_BILLS, page, period=pick, status=status),
        period,
        extra=[*filters, date_button(Query.TAX_BILLS, status)],
    )


def tax_bill(detail: TaxBillDetail) -> Message:
    b = detail.summary
    lines = [
        f"税款编号 {b.tax_no}｜清单编号 {b.inventory_no}",
        f"应缴税款：{show_yuan(b.amount)}｜{_status(statuses.TAX_BILL, b.status)}｜{b.port}",
        *(
            f"{i.seq}. 商品编码 {i.hs_code}，{i.quantity} 件 × {show_yuan(i.unit_price)}，"
            f"完税总价 {show_yuan(i.dutiable)}；关税 {_rate(i.tariff_rate)} {show_yuan(i.tariff)}，"
            f"消费税 {_rate(i.consumption_rate)} {show_yuan(i.consumption)}，"
            f"增值税 {_rate(i.vat_rate)} {show_yuan(i.vat)}"
            for i in detail.items
        ),
        "限值以内关税税率为 0%，进口环节增值税、消费税按法定应纳税额的 70% 征收。",
    ]
    return {
        "text": "\n".join(lines),
        "buttons": [button("返回税单列表", Query.TAX_BILLS), HANDOFF_BUTTON],
    }


# --- enterprises -------------------------------------------------------------------------


def applications(
    page: Page[ApplicationLine], query: Query, period: Period | None, pick: str, status: str
) -> Message:
    table = statuses.PRINT if query is Query.PRINTS else statuses.EXPORT
    printing = query is Query.PRINTS
    records = []
    for a in page.items:
        signed = "" if a.signed is None else ("有签章" if a.signed else "无签章")
        if a.expired:
            availability = "文件已过期，需重新申请"
        elif a.available_until:
            availability = f"可导出至 {_day(a.available_until)}"
        else:
            availability = ""
        state, applied = _status(table, a.status), _day(a.applied_at)
        line = (
            f"申请编号 {a.app_no}｜报关单号 {a.entry_no}｜{f'{signed}｜' if signed else ''}"
            f"{state}｜申请日期 {applied}{f'｜{availability}' if availability else ''}"
        )
        cells = [a.app_no, a.entry_no, *([signed or "—"] if printing else []), state, applied]
        records.append(_Record(line, [*cells, availability or "—"]))
    shown = {a.status for a in page.items}
    notes = [f"· {table[c].name}：{table[c].advice}" for c in sorted(shown) if c in table]
    title = "您的自助打印申请" if printing else "您的结关后数据导出申请"
    signature = ["签章"] if printing else []
    return _list(
        title,
        ["申请编号", "报关单号", *signature, "状态", "申请日期", "文件"],
        page,
        records,
        _more(query, page, period=pick, status=status),
        period,
        notes,
        [date_button(query, status), *apply_buttons(query)],
    )


def apply_buttons(query: Query) -> list[Button]:
    if query is Query.EXPORTS:
        return [button("申请数据导出", Query.APPLY_EXPORT)]
    return [button("申请自助打印", Query.APPLY_PRINT)]


def vehicles(page: Page[VehicleLine]) -> Message:
    records = []
    for v in page.items:
        cells = [v.plate, v.vehicle_type, v.status, _day(v.filed_on)]
        records.append(_Record(f"{'｜'.join(cells[:-1])}｜备案日期 {cells[-1]}", cells))
    shown = {v.status for v in page.items}
    notes = [f"· {s}：{statuses.VEHICLE[s].advice}" for s in sorted(shown) if s in statuses.VEHICLE]
    return _list(
        "您企业的车辆备案",
        ["车牌号", "车辆类型", "备案状态", "备案日期"],
        page,
        records,
        _more(Query.VEHICLES, page),
        None,
        notes,
    )


def appointments(page: Page[AppointmentLine], period: Period | None, pick: str) -> Message:
    records = []
    for a in page.items:
        confirm = None
        if confirmable(a):
            confirm = button(
                f"交货确认 {a.plate}（…{a.business_no[-6:]}）",
                Query.CONFIRM_DELIVERY,
                record_no=a.business_no,
            )
        entered = _day(a.entered_on)
        line = (
            f"业务统一编号 {a.business_no}｜预约编号 {a.appointment_no}｜{a.plate}｜"
            f"{a.flag}｜{a.kind}｜{a.status}｜录入日期 {entered}"
        )
        cells = [a.plate, a.flag, a.kind, a.status, entered, a.business_no, a.appointment_no]
        records.append(_Record(line, cells, confirm))
    shown = {a.status for a in page.items}
    notes = [
        f"· {s}：{statuses.APPOINTMENT[s].advice}"
        for s in sorted(shown)
        if s in statuses.APPOINTMENT
    ]
    return _list(
        "您企业的提交货预约",
        ["车牌号", "提交货标志", "申报类型", "状态", "录入日期", "业务统一编号", "预约编号"],
        page,
        records,
        _more(Query.APPOINTMENTS, page, period=pick),
        period,
        notes,
        [date_button(Query.APPOINTMENTS)],
        action="交货确认",
    )


def confirmable(a: AppointmentLine) -> bool:
    return a.status == statuses.APPOINTMENT_BOOKED and a.flag in statuses.CONFIRMABLE_FLAGS


def _appointment_line(a: AppointmentLine) -> str:
    return (
        f"车牌号 {a.plate}｜{a.flag}｜{a.kind}｜业务统一编号 {a.business_no}｜"
        f"预约编号 {a.appointment_no}｜录入日期 {_day(a.entered_on)}"
    )


def ask_to_confirm(a: AppointmentLine) -> Message:
    text = (
        "请确认该车辆已实际完成交货：\n"
        f"{_appointment_line(a)}\n"
        "确认后预约状态将变为“空车成功”，车辆即可出区。尚未交货请不要确认。"
    )
    yes = button("确认已交货", Query.CONFIRM_DELIVERY, record_no=a.business_no, confirmed="yes")
    return {"text": text, "buttons": [yes, button("暂不确认", Query.APPOINTMENTS), HANDOFF_BUTTON]}


def confirmation(result: Confirmation) -> Message:
    a = result.appointment
    if result.outcome is ConfirmOutcome.CONFIRMED and a is not None:
        text = f"交货确认成功！{_appointment_line(a)}\n状态已变为“空车成功”，车辆现在可以正常出区。"
    elif result.outcome is ConfirmOutcome.ALREADY:
        text = "该预约已完成交货确认（空车成功），车辆可以正常出区，无需重复确认。"
    elif a is not None:
        text = (
            f"该预约当前为“{a.status}”（{a.flag}），暂不能办理交货确认：只有预约成功的交货或空车"
            "预约，在车辆实际交货后才能确认。如有疑问，可以转人工客服。"
        )
    else:
        raise ValueError("an unknown appointment is answered as not found")
    back = button("返回提交货预约", Query.APPOINTMENTS)
    return {"text": text, "buttons": [back, HANDOFF_BUTTON]}
