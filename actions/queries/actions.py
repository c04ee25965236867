"""action_query_records: a verified user's own records, by button or after a linked FAQ answer.

Conditions come from button payloads (query, page, period, status, record_no, year) or from the
words of the message (a year, a date range, a quick pick like 本月). Who the user is comes only
from the identity the hub signed (kernel/signing.py): the action verifies it
for this conversation and answers from that owner's records; nothing the user types can name
another owner.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions import entities
from actions.buttons import HANDOFF_BUTTON, Button
from actions.entities import BadEntity
from actions.queries import application, period_form, render
from actions.queries.conditions import ConditionError, period_in, period_of, plate_in, year_in
from actions.queries.render import Message, Query, button
from actions.records import statuses
from actions.records.db import sessions
from actions.records.repository import (
    ApplicationKind,
    Confirmation,
    ConfirmOutcome,
    Period,
    Records,
)
from actions.records.sql import SqlRecords
from kernel import bot_events, payloads
from kernel.claims import Identity, Kind, Source
from kernel.clock import Clock, china_now
from kernel.settings import shared_settings
from kernel.signing import IdentityRejected, verify

logger = logging.getLogger(__name__)

PERSON_QUERIES = (Query.QUOTA, Query.CLEARANCES, Query.CLEARANCE, Query.TAX_BILLS, Query.TAX_BILL)
ENTERPRISE_QUERIES = (
    Query.APPLY_PRINT,
    Query.APPLY_EXPORT,
    Query.PRINTS,
    Query.EXPORTS,
    Query.VEHICLES,
    Query.APPOINTMENTS,
    Query.CONFIRM_DELIVERY,
)

# Applications the manuals gate on card media: printing and export need the consignee
# enterprise's 法人卡, verified in this conversation (a card identity is the card's enterprise).
LEGAL_CARD_QUERIES = (Query.APPLY_PRINT, Query.APPLY_EXPORT)

# FAQ entries about a query: a verified user asking them gets their own records.
ENTRY_QUERIES: dict[str, Query] = {
    "cbec_quota_query": Query.QUOTA,
    "cbec_tax_query": Query.TAX_BILLS,
    "cbec_clearance_query": Query.CLEARANCES,
    "print_status": Query.PRINTS,
    "print_where": Query.PRINTS,
    "print_grey_button": Query.PRINTS,
    "print_export_failed": Query.EXPORTS,
    "air_appointment_status": Query.APPOINTMENTS,
    "air_delivery_confirm": Query.APPOINTMENTS,
    "air_vehicle_filing": Query.VEHICLES,
}

# A list asked for with a record's number in the words shows that record.
DETAILS = {Query.CLEARANCES: Query.CLEARANCE, Query.TAX_BILLS: Query.TAX_BILL}

# Lists with a date range (按日期查询).
PERIOD_QUERIES = (
    Query.CLEARANCES,
    Query.TAX_BILLS,
    Query.PRINTS,
    Query.EXPORTS,
    Query.APPOINTMENTS,
)

STATUS_TABLES = {
    Query.CLEARANCES: statuses.CLEARANCE,
    Query.TAX_BILLS: statuses.TAX_BILL,
    Query.PRINTS: statuses.PRINT,
    Query.EXPORTS: statuses.EXPORT,
    Query.APPOINTMENTS: statuses.APPOINTMENT,
}

# FAQ entries about applying: a verified enterprise gets the answer and a button to apply here.
ENTRY_APPLICATIONS: dict[str, Query] = {
    "print_apply": Query.APPLY_PRINT,
    "print_signed": Query.APPLY_PRINT,
    "print_unsigned": Query.APPLY_PRINT,
    "print_batch": Query.APPLY_PRINT,
    "print_export_apply": Query.APPLY_EXPORT,
}
APPLY_HERE = "在这里直接申请"

LOGIN_TEXT = (
    "查询本人或本企业的数据，需要先验证身份：\n"
    "· 网页咨询：请先登录单一窗口门户 {portal}，再从门户打开智能客服；\n"
    "· 微信或 Telegram：请在门户获取绑定码，然后在这里发送“绑定 绑定码”。\n"
    "验证后，我只会为您查询您本人（或本企业）的数据。"
)
REJECTED_TEXT = "抱歉，您的身份信息校验未通过（可能已过期），请重新登录门户后再查询。"
PERSON_ONLY_TEXT = (
    "这项查询面向跨境电商个人消费者。您当前以企业身份登录，请使用个人账号登录后再查询。"
)
ENTERPRISE_ONLY_TEXT = "这项查询面向企业用户。您当前以个人身份登录，请使用企业账号登录后再查询。"
LEGAL_CARD_TEXT = (
    "自助打印、出口等申请需要使用收货人企业（{enterprise}）的法人卡进行卡介质验证。"
    "请在电脑上将法人卡插入读卡器，在网页在线客服中点击“卡介质验证”并输入卡密码，验证通过后即可在这里申请。"
    "（微信等渠道无法读卡，请使用网页在线客服办理。）"
)
OPERATOR_CARD_TEXT = (
    "您当前使用的是操作员卡。自助打印、出口等申请需要使用本企业（{enterprise}）的法人卡："
    "请拔出操作员卡，插入法人卡后重新点击“卡介质验证”。"
)
UNAVAILABLE_TEXT = "抱歉，查询服务暂时不可用，请稍后再试；如比较着急，可以转人工客服。"
MENU_TEXT = {
    Kind.PERSON: "{name}，您好！可以为您查询以下个人跨境电商数据：",
    Kind.ENTERPRISE: "{name}，您好！可以为您查询{enterprise}的以下业务数据：",
}
NO_FILING = "贵企业没有车牌号为 {plate} 的备案，请核对车牌号，或在北京单一窗口办理车辆备案。"
NO_FILINGS = "请先在北京单一窗口空港物流应用中办理车辆备案。"
NOT_FOUND_TEXT = "没有找到编号为 {number} 的记录。请核对编号；只能查询您本人（或本企业）的记录。"
# After a condition no button sends: the menu again (or how to verify, for an anonymous user).
RETRY_BUTTON = {"title": "重新选择", "payload": payloads.QUERY_RECORDS}

_NUMBER = re.compile(r"[0-9A-Za-z]{12,30}")


def has_legal_card(identity: Identity) -> bool:
    """Verified with the enterprise's 法人卡, still in the reader (removal ends it at the hub)."""
    return (
        identity.source is Source.CARD
        and identity.kind is Kind.ENTERPRISE
        and identity.extras.get("card_role") == "legal"
    )


@cache
def default_records() -> Records:
    return SqlRecords(sessions(shared_settings().records_database_url))


def _query(value: object, among: tuple[Query, ...] = tuple(Query)) -> Query | None:
    """The query a button names; None for none. Raises BadEntity for another value."""
    wanted = entities.choice(value, {q.value for q in among})
    return Query(wanted) if wanted else None


def _status(value: object, query: Query | None) -> str:
    """A status code of the query's list; "" for none. Raises BadEntity for another value."""
    return entities.choice(value, STATUS_TABLES.get(query, {}) if query else {})


def not_understood(exc: BadEntity) -> Message:
    return {"text": str(exc), "buttons": [RETRY_BUTTON, HANDOFF_BUTTON]}


def _text(tracker: Tracker) -> str:
    text = tracker.latest_message.get("text") or ""
    return "" if text.startswith("/") else text  # a payload carries its conditions as entities


def query_buttons(kind: Kind) -> list[Button]:
    """The self-service queries (自助查询) of that kind of user, as the menu and the greeting
    offer them."""
    if kind is Kind.PERSON:
        return [
            button("我的个人额度", Query.QUOTA),
            button("我的通关记录", Query.CLEARANCES),
            button("我的税单", Query.TAX_BILLS),
        ]
    return [
        button("自助打印申请", Query.PRINTS),
        button("数据导出申请", Query.EXPORTS),
        button("车辆备案", Query.VEHICLES),
        button("提交货预约", Query.APPOINTMENTS),
    ]


def menu(identity: Identity) -> Message:
    text = MENU_TEXT[identity.kind].format(
        name=identity.name, enterprise=identity.enterprise_name or "贵企业"
    )
    return {"text": text, "buttons": [*query_buttons(identity.kind), HANDOFF_BUTTON]}


def verified_identity(tracker: Tracker) -> Identity | None:
    """The hub-signed identity of this conversation; raises IdentityRejected if forged."""
    secret = shared_settings().identity_secret.get_secret_value()
    return verify(tracker.latest_message.get("metadata"), tracker.sender_id, secret)


class QueryRunner:
    """Answers one query for the tracker's verified identity; shared with the FAQ answer."""

    def __init__(self, records: Records | None = None, clock: Clock = china_now) -> None:
        self._records = records
        self._clock = clock

    @property
    def records(self) -> Records:
        return self._records or default_records()

    def identity(self, tracker: Tracker) -> Identity | None:
        """The hub-signed identity of this conversation; raises IdentityRejected if forged."""
        return verified_identity(tracker)

    def serves(self, query: Query, tracker: Tracker) -> bool:
        """Whether the conversation's verified identity is the kind of user this query is for."""
        try:
            identity = self.identity(tracker)
        except IdentityRejected:
            return False
        if identity is None:
            return False
        wanted = Kind.PERSON if query in PERSON_QUERIES else Kind.ENTERPRISE
        return identity.kind is wanted

    def admit(self, query: Query | None, tracker: Tracker) -> Identity | Message:
        """The verified identity if it may run the query, else what to tell the user."""
        try:
            identity = self.identity(tracker)
        except IdentityRejected as exc:
            logger.warning("identity rejected for %s: %s", tracker.sender_id, exc)
            return {"text": REJECTED_TEXT, "buttons": [HANDOFF_BUTTON]}
        if identity is None:
            portal = shared_settings().portal_login_url()
            return {"text": LOGIN_TEXT.format(portal=portal), "buttons": [HANDOFF_BUTTON]}
        if query in PERSON_QUERIES and identity.kind is not Kind.PERSON:
            return {"text": PERSON_ONLY_TEXT, "buttons": [HANDOFF_BUTTON]}
        if query in ENTERPRISE_QUERIES and identity.kind is not Kind.ENTERPRISE:
            return {"text": ENTERPRISE_ONLY_TEXT, "buttons": [HANDOFF_BUTTON]}
        if query in LEGAL_CARD_QUERIES and not has_legal_card(identity):
            operator = identity.source is Source.CARD
            text = OPERATOR_CARD_TEXT if operator else LEGAL_CARD_TEXT
            enterprise = identity.enterprise_name or "贵企业"
            return {"text": text.format(enterprise=enterprise), "buttons": [HANDOFF_BUTTON]}
        return identity

    async def answer(
        self, query: Query | None, tracker: Tracker, given: dict[str, str] | None = None
    ) -> list[Message]:
        """One query's reply; `given` conditions (from a form) win over the message's."""
        identity = self.admit(query, tracker)
        if not isinstance(identity, Identity):
            return [identity]
        if query is None:
            return [menu(identity)]
        try:
            message = await self._run(query, identity, tracker, given or {})
        except BadEntity as exc:
            return [not_understood(exc)]
        except ConditionError as exc:
            dated = query in (Query.CLEARANCES, Query.TAX_BILLS, Query.PRINTS, Query.EXPORTS)
            retry = render.period_buttons(query) if dated or query is Query.APPOINTMENTS else []
            return [{"text": str(exc), "buttons": [*retry, HANDOFF_BUTTON]}]
        except (SQLAlchemyError, OSError):
            logger.exception("records query %s failed", query)
            return [{"text": UNAVAILABLE_TEXT, "buttons": [HANDOFF_BUTTON]}]
        # Run against the user's records (found or not): for the outcome statistics.
        return [bot_events.mark(message, bot_events.QUERY, query=query.value)]

    async def apply(self, tracker: Tracker) -> Message:
        """Make the application the form collected, for the verified enterprise."""
        try:
            kinds = {k.value for k in ApplicationKind}
            kind = ApplicationKind(
                entities.choice(tracker.get_slot(application.KIND_SLOT), kinds) or "print"
            )
            joined = entities.text(
                tracker.get_slot(application.NUMBERS_SLOT), max_chars=application.MAX_NUMBERS_CHARS
            )
        except BadEntity as exc:
            return not_understood(exc)
        query = Query.APPLY_PRINT if kind is ApplicationKind.PRINT else Query.APPLY_EXPORT
        identity = self.admit(query, tracker)
        if not isinstance(identity, Identity):
            return identity
        numbers = joined.split(",")
        signed = None
        if kind is ApplicationKind.PRINT:
            signed = tracker.get_slot(application.SIGNATURE_SLOT) == "signed"
        try:
            outcome = await self.records.apply(identity.subject, kind, numbers, signed)
        except (SQLAlchemyError, OSError):
            logger.exception("application failed")
            return {"text": UNAVAILABLE_TEXT, "buttons": [HANDOFF_BUTTON]}
        return bot_events.mark(
            application.result(outcome, kind, signed), bot_events.QUERY, query=query.value
        )

    async def _run(
        self, query: Query, identity: Identity, tracker: Tracker, given: dict[str, str]
    ) -> Message:
        def value(name: str) -> object:
            return given.get(name) or entities.latest(tracker, name)

        owner, today = identity.subject, self._clock().date()
        text = "" if given else _text(tracker)
        page = entities.page(value("page"))
        pick, status = entities.text(value("period")), _status(value("status"), query)
        period = period_of(pick, today) if pick else period_in(text, today)
        number = entities.record_number(value("record_no")) or next(iter(_NUMBER.findall(text)), "")
        records = self.records

        if query is Query.QUOTA:
            year = entities.year(value("year"), today)
            year = year_in(text, today) if year is None else year
            return render.quota(await records.quota(owner, year), identity.name, today.year)
        if number and query in DETAILS:
            query = DETAILS[query]  # "清单 210000… 的明细": that record, not the list
        if query is Query.CLEARANCE:
            detail = await records.inventory(owner, number) if number else None
            if detail is None:
                return self._not_found(number, Query.CLEARANCES)
            return render.clearance(detail)
        if query is Query.TAX_BILL:
            detail = await records.tax_bill(owner, number) if number else None
            if detail is None:
                return self._not_found(number, Query.TAX_BILLS)
            return render.tax_bill(detail)
        if query is Query.CONFIRM_DELIVERY:
            confirmed = entities.choice(value("confirmed"), {"yes"})
            return await self._confirm_delivery(owner, number, confirmed)
        named = statuses.named_in(text, STATUS_TABLES[query]) if query in STATUS_TABLES else None
        if named and not status:
            status = named.code  # "怎么还在制作中": their applications in that status, explained
        message = await self._listed(query, owner, period, pick, status, page, text)
        if named:
            return render.explained(message, f"“{named.name}”的意思：{named.advice}")
        return message

    async def _listed(
        self,
        query: Query,
        owner: str,
        period: Period | None,
        pick: str,
        status: str,
        page: int,
        text: str,
    ) -> Message:
        records = self.records
        if query is Query.CLEARANCES:
            found = await records.inventories(owner, period, status or None, page)
            if not found.total:
                return render.empty(
                    "通关记录",
                    "请确认查询时间范围；订单放行后数据可能有延迟。",
                    render.period_buttons(query),
                )
            return render.clearances(found, period, pick)
        if query is Query.TAX_BILLS:
            found = await records.tax_bills(owner, period, status or None, page)
            if not found.total:
                return render.empty(
                    "税单",
                    "请确认查询时间范围和状态；税单在清单申报后生成。",
                    render.period_buttons(query),
                )
            return render.tax_bills(found, period, pick, status)
        if query in (Query.PRINTS, Query.EXPORTS):
            kind = ApplicationKind.PRINT if query is Query.PRINTS else ApplicationKind.EXPORT
            # "报关单 0102… 的打印申请": that declaration's applications (issue 17).
            entry_nos = _NUMBER.findall(text.upper()) or None
            found = await records.applications(owner, kind, period, status or None, entry_nos, page)
            if not found.total:
                return render.empty(
                    "申请记录",
                    "请确认申请日期范围（最长 3 个月）；打印和导出文件只保存一个自然月。",
                    [*render.period_buttons(query), *render.apply_buttons(query)],
                )
            return render.applications(found, query, period, pick, status)
        if query is Query.VEHICLES:
            plate = plate_in(text)
            found = await records.vehicle_filings(owner, plate, page)
            if not found.total:
                hint = NO_FILING.format(plate=plate) if plate else NO_FILINGS
                return render.empty("车辆备案", hint)
            return render.vehicles(found)
        found = await records.appointments(owner, period, status or None, page)
        if not found.total:
            return render.empty(
                "提交货预约",
                "请确认录入日期范围；预约需先在北京单一窗口办理。",
                render.period_buttons(query),
            )
        return render.appointments(found, period, pick)

    async def _confirm_delivery(self, owner: str, business_no: str, confirmed: str) -> Message:
        """Two steps: show the appointment and ask; only the 确认已交货 button confirms."""
        if confirmed != "yes":
            appointment = (
                await self.records.appointment(owner, business_no) if business_no else None
            )
            if appointment is None:
                return self._not_found(business_no, Query.APPOINTMENTS)
            if not render.confirmable(appointment):
                return render.confirmation(
                    Confirmation(
                        ConfirmOutcome.ALREADY
                        if appointment.status == statuses.APPOINTMENT_EMPTY
                        else ConfirmOutcome.NOT_BOOKED,
                        appointment,
                    )
                )
            return render.ask_to_confirm(appointment)
        result = await self.records.confirm_delivery(owner, business_no)
        if result.outcome is ConfirmOutcome.UNKNOWN:
            return self._not_found(business_no, Query.APPOINTMENTS)
        return render.confirmation(result)

    def _not_found(self, number: str, back: Query) -> Message:
        text = NOT_FOUND_TEXT.format(number=number or "（未提供）")
        return {"text": text, "buttons": [button("返回列表", back), HANDOFF_BUTTON]}


class ActionQueryRecords(Action):
    def __init__(self, runner: QueryRunner | None = None) -> None:
        self._runner = runner or QueryRunner()

    def name(self) -> str:
        return "action_query_records"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            query = _query(entities.latest(tracker, "query"))
            ask = entities.choice(entities.latest(tracker, "ask"), {"period"})
            status = _status(entities.latest(tracker, "status"), query)
        except BadEntity as exc:
            dispatcher.utter_message(**not_understood(exc))
            return []
        if query in PERIOD_QUERIES and ask == "period":
            admitted = self._runner.admit(query, tracker)
            if not isinstance(admitted, Identity):
                dispatcher.utter_message(**admitted)
                return []
            return period_form.start(query.value, status)
        if query in (Query.APPLY_PRINT, Query.APPLY_EXPORT):
            admitted = self._runner.admit(query, tracker)
            if not isinstance(admitted, Identity):
                dispatcher.utter_message(**admitted)
                return []
            kind = ApplicationKind.PRINT if query is Query.APPLY_PRINT else ApplicationKind.EXPORT
            return application.start(kind)
        for message in await self._runner.answer(query, tracker):
            dispatcher.utter_message(**message)
        return []


class ActionQueryPeriod(Action):
    """After 按日期查询's form: the list for the range it collected, then forget the form."""

    def __init__(self, runner: QueryRunner | None = None) -> None:
        self._runner = runner or QueryRunner()

    def name(self) -> str:
        return "action_query_period"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            query = _query(tracker.get_slot(period_form.QUERY_SLOT), PERIOD_QUERIES)
        except BadEntity as exc:
            dispatcher.utter_message(**not_understood(exc))
            return period_form.reset()
        given = {
            "period": tracker.get_slot(period_form.PERIOD_SLOT) or "",
            "status": tracker.get_slot(period_form.STATUS_SLOT) or "",
        }
        for message in await self._runner.answer(query, tracker, given):
            dispatcher.utter_message(**message)
        return period_form.reset()


class ActionSubmitApplication(Action):
    """After the form: apply, say what became of each number, and clear the form's slots."""

    def __init__(self, runner: QueryRunner | None = None) -> None:
        self._runner = runner or QueryRunner()

    def name(self) -> str:
        return "action_submit_application"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(**await self._runner.apply(tracker))
        return application.reset()
