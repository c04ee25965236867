"""Self-service queries in the chat: a verified user's own records, and nobody else's."""

import json
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import delete

from actions.entities import BAD_PAGE, BAD_RECORD_NUMBER, BAD_YEAR, NOT_UNDERSTOOD
from actions.faq import replies
from actions.faq.actions import ActionAnswerFaq
from actions.faq.hot import HotQuestions
from actions.faq.knowledge import default as default_kb
from actions.queries.actions import (
    ENTERPRISE_ONLY_TEXT,
    ENTRY_QUERIES,
    LEGAL_CARD_TEXT,
    OPERATOR_CARD_TEXT,
    PERSON_ONLY_TEXT,
    REJECTED_TEXT,
    ActionQueryPeriod,
    ActionQueryRecords,
    ActionSubmitApplication,
    QueryRunner,
)
from actions.queries.conditions import (
    BAD_DATE,
    BAD_PERIOD,
    BAD_PLATE,
    RANGE_TOO_LONG,
    YEAR_IN_FUTURE,
)
from actions.queries.period_form import ValidatePeriodForm
from actions.records.db import sessions as records_sessions
from actions.records.demo import DEMO_CONSUMERS, DEMO_ENTERPRISES, load, small
from actions.records.models import Declaration, RecordsBase
from actions.records.money import show_yuan
from actions.records.repository import ApplicationKind, Period
from actions.records.sql import SqlRecords
from kernel.claims import Identity, Kind, Source
from kernel.clock import CHINA_TZ
from kernel.messages import Button, OutboundMessage
from kernel.settings import shared_settings
from kernel.signing import sign
from queue_service import db
from queue_service.transcripts import TranscriptStore
from tests.faq_fixtures import parse
from tests.support.identities import ACME_LEGAL_CARD, ALICE

TODAY = date(2026, 11, 24)
CONVERSATION = "webchat:query-test"
BOB = Identity(Kind.PERSON, DEMO_CONSUMERS[1].id, DEMO_CONSUMERS[1].name, Source.PORTAL)
ACME = Identity(
    Kind.ENTERPRISE, DEMO_ENTERPRISES[0].id, "张经理", Source.PORTAL, DEMO_ENTERPRISES[0].name
)

ACME_OPERATOR_CARD = Identity(
    Kind.ENTERPRISE,
    DEMO_ENTERPRISES[0].id,
    "钱敏",
    Source.CARD,
    DEMO_ENTERPRISES[0].name,
    {"card_no": "8911000000002", "card_role": "operator"},
)


def clock() -> datetime:
    return datetime(2026, 11, 24, 10, tzinfo=CHINA_TZ)


@pytest.fixture
async def runner(empty_records_url: str) -> AsyncIterator[QueryRunner]:
    sessions = records_sessions(empty_records_url)
    async with sessions() as session, session.begin():
        for table in reversed(RecordsBase.metadata.sorted_tables):
            await session.execute(delete(table))
    await load(empty_records_url, small(TODAY))
    records = SqlRecords(sessions)
    yield QueryRunner(records, clock)
    await sessions.kw["bind"].dispose()


def signed(identity: Identity | None, conversation: str = CONVERSATION, secret: str = "") -> dict:
    if identity is None:
        return {}
    secret = secret or shared_settings().identity_secret.get_secret_value()
    return sign(identity, conversation, secret)


def tracker(text: str, identity: Identity | None, entities: dict | None = None, **kw) -> Tracker:
    message = {
        "text": text,
        "intent": {"name": "query_records", "confidence": 1.0},
        "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
        "metadata": kw.pop("metadata", None) or signed(identity),
    }
    return Tracker(CONVERSATION, {}, message, [], False, None, {}, "action_listen")


async def ask(runner: QueryRunner, text: str, identity: Identity | None, **entities) -> list:
    dispatcher = CollectingDispatcher()
    await ActionQueryRecords(runner).run(dispatcher, tracker(text, identity, entities), {})
    return dispatcher.messages


async def test_anonymous_users_are_told_how_to_verify(runner) -> None:
    [message] = await ask(runner, "查我的额度", None, query="quota")
    assert shared_settings().portal_login_url() in message["text"]
    assert "绑定" in message["text"]
    assert "元" not in message["text"]


@pytest.mark.parametrize("forgery", ["other-secret", "other-conversation"])
async def test_forged_identity_gets_nothing(runner, forgery) -> None:
    metadata = (
        signed(ALICE, secret="not-the-secret")
        if forgery == "other-secret"
        else signed(ALICE, conversation="webchat:someone-else")
    )
    dispatcher = CollectingDispatcher()
    forged = tracker("/query_records", None, {"query": "quota"}, metadata=metadata)
    await ActionQueryRecords(runner).run(dispatcher, forged, {})
    assert [m["text"] for m in dispatcher.messages] == [REJECTED_TEXT]


async def test_my_quota_this_year_and_a_past_year(runner) -> None:
    records = runner.records
    for text, year in (("我今年的额度还剩多少", 2026), ("2025年的额度", 2025), ("去年额度", 2025)):
        [message] = await ask(runner, text, ALICE, query="quota")
        quota = await records.quota(ALICE.subject, year)
        assert f"{year} 年度" in message["text"]
        assert f"已使用：{show_yuan(quota.used)}" in message["text"]
        assert f"剩余可用：{show_yuan(quota.remaining)}" in message["text"]
    [future] = await ask(runner, "2030年额度", ALICE, query="quota")
    assert future["text"] == YEAR_IN_FUTURE.format(year=2026)


async def test_tax_bills_page_by_five_with_details_on_demand(runner) -> None:
    [first] = await ask(runner, "/query_records", ALICE, query="tax_bills")
    total = (await runner.records.tax_bills(ALICE.subject)).total
    assert f"第 1-5 条，共 {total} 条" in first["text"]
    more = next(b for b in first["buttons"] if b["title"] == "更多")
    assert '"page":"2"' in more["payload"]
    [second] = await ask(runner, "/query_records", ALICE, query="tax_bills", page="2")
    assert "第 6-10 条" in second["text"]
    first_numbers = {line.split()[2] for line in first["text"].splitlines()[1:6]}
    second_numbers = {line.split()[2] for line in second["text"].splitlines()[1:6]}
    assert first_numbers and not first_numbers & second_numbers

    detail_button = next(b for b in first["buttons"] if b["title"].endswith("详情"))
    tax_no = detail_button["payload"].split('"record_no":"')[1].split('"')[0]
    [detail] = await ask(runner, "/query_records", ALICE, query="tax_bill", record_no=tax_no)
    bill = await runner.records.tax_bill(ALICE.subject, tax_no)
    assert f"应缴税款：{show_yuan(bill.summary.amount)}" in detail["text"]
    assert detail["text"].count("商品编码") == len(bill.items)


async def test_someone_elses_number_is_not_found_by_button_or_in_words(runner) -> None:
    alices = (await runner.records.tax_bills(ALICE.subject)).items[0].tax_no
    alices_list = (await runner.records.inventories(ALICE.subject)).items[0].inventory_no
    [by_button] = await ask(runner, "/query_records", BOB, query="tax_bill", record_no=alices)
    [in_words] = await ask(runner, f"帮我看看清单 {alices_list} 的明细", BOB, query="clearance")
    for message in (by_button, in_words):
        assert "没有找到" in message["text"]
        assert "元" not in message["text"]


async def test_queries_are_for_their_kind_of_user(runner) -> None:
    [person_only] = await ask(runner, "/query_records", ACME, query="quota")
    [enterprise_only] = await ask(runner, "/query_records", ALICE, query="prints")
    assert person_only["text"] == PERSON_ONLY_TEXT
    assert enterprise_only["text"] == ENTERPRISE_ONLY_TEXT


async def test_date_ranges_are_at_most_three_months(runner) -> None:
    [too_long] = await ask(runner, "2026-01-01 到 2026-11-01 的税单", ALICE, query="tax_bills")
    assert too_long["text"] == RANGE_TOO_LONG
    assert [b["title"] for b in too_long["buttons"]] == [
        "当天",
        "本周",
        "本月",
        "三个月",
        "按日期查询",
        "没解决？转人工",
    ]
    [month] = await ask(runner, "/query_records", ALICE, query="clearances", period="quarter")
    assert "（2026-08-25 至 2026-11-24）" in month["text"]


async def test_enterprise_lists_explain_the_statuses_shown(runner) -> None:
    [prints] = await ask(runner, "我的打印申请", ACME, query="prints")
    assert "申请编号 DY" in prints["text"]
    assert "已生成：" in prints["text"]  # the meaning of the statuses on the page
    [appointments] = await ask(runner, "/query_records", ACME, query="appointments")
    assert "预约成功：" in appointments["text"] and "交货确认" in appointments["text"]
    [vehicles] = await ask(runner, "/query_records", ACME, query="vehicles")
    assert "审核不通过：" in vehicles["text"]


async def test_without_a_query_a_verified_user_gets_a_menu_of_their_own(runner) -> None:
    [person] = await ask(runner, "自助查询", ALICE)
    [company] = await ask(runner, "自助查询", ACME)
    assert [b["title"] for b in person["buttons"]][:3] == [
        "我的个人额度",
        "我的通关记录",
        "我的税单",
    ]
    assert DEMO_ENTERPRISES[0].name in company["text"]


async def test_a_linked_faq_answer_shows_a_verified_users_own_records(runner, redis_client) -> None:
    assert set(ENTRY_QUERIES) <= {e.id for e in default_kb().entries}
    action = ActionAnswerFaq(default_kb(), HotQuestions(redis_client), clock, runner)
    asked = parse("我今年海淘额度还剩多少", [("cbec_quota_query", 0.95)])

    async def answer(identity: Identity | None) -> list[dict]:
        dispatcher = CollectingDispatcher()
        message = {**asked, "metadata": signed(identity)}
        await action.run(
            dispatcher, Tracker(CONVERSATION, {}, message, [], False, None, {}, ""), {}
        )
        return dispatcher.messages

    [mine] = await answer(ALICE)
    assert "剩余可用" in mine["text"]
    assert "查看操作方法" in [b["title"] for b in mine["buttons"]]
    [anonymous] = await answer(None)
    assert anonymous["text"] == replies.answer_text(default_kb().entry("cbec_quota_query"))
    assert "查询我的数据" in [b["title"] for b in anonymous["buttons"]]


async def test_delivery_is_confirmed_only_after_an_explicit_yes(runner) -> None:
    [listed] = await ask(runner, "/query_records", ACME, query="appointments")
    confirm = next(b for b in listed["buttons"] if b["title"].startswith("交货确认"))
    business_no = confirm["payload"].split('"record_no":"')[1].split('"')[0]

    [asked] = await ask(
        runner, "/query_records", ACME, query="confirm_delivery", record_no=business_no
    )
    assert "请确认该车辆已实际完成交货" in asked["text"]
    assert (await runner.records.appointment(ACME.subject, business_no)).status == "预约成功"
    yes = asked["buttons"][0]
    assert yes["title"] == "确认已交货" and '"confirmed":"yes"' in yes["payload"]

    other = Identity(Kind.ENTERPRISE, DEMO_ENTERPRISES[1].id, "孙丽", Source.PORTAL, "天津")
    [refused] = await ask(
        runner,
        "/query_records",
        other,
        query="confirm_delivery",
        record_no=business_no,
        confirmed="yes",
    )
    assert "没有找到" in refused["text"]

    [done] = await ask(
        runner,
        "/query_records",
        ACME,
        query="confirm_delivery",
        record_no=business_no,
        confirmed="yes",
    )
    assert "交货确认成功" in done["text"] and "可以正常出区" in done["text"]
    assert (await runner.records.appointment(ACME.subject, business_no)).status == "空车成功"
    [again] = await ask(
        runner,
        "/query_records",
        ACME,
        query="confirm_delivery",
        record_no=business_no,
        confirmed="yes",
    )
    assert "无需重复确认" in again["text"]


def form_tracker(identity: Identity | None, **slots) -> Tracker:
    message = {
        "text": "",
        "intent": {"name": "query_records"},
        "entities": [],
        "metadata": signed(identity),
    }
    return Tracker(CONVERSATION, slots, message, [], False, None, {}, "action_listen")


async def test_only_an_enterprise_with_its_legal_card_opens_the_application_form(runner) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionQueryRecords(runner).run(
        dispatcher, tracker("/query_records", ACME_LEGAL_CARD, {"query": "apply_print"}), {}
    )
    assert {"event": "followup", "timestamp": None, "name": "application_form"} in events
    assert {
        "event": "slot",
        "timestamp": None,
        "name": "application_kind",
        "value": "print",
    } in events
    enterprise = DEMO_ENTERPRISES[0].name
    for who, text in (
        (ALICE, ENTERPRISE_ONLY_TEXT),
        (None, None),
        (ACME, LEGAL_CARD_TEXT.format(enterprise=enterprise)),
        (ACME_OPERATOR_CARD, OPERATOR_CARD_TEXT.format(enterprise=enterprise)),
    ):
        dispatcher = CollectingDispatcher()
        events = await ActionQueryRecords(runner).run(
            dispatcher, tracker("/query_records", who, {"query": "apply_export"}), {}
        )
        assert events == []
        assert text is None or dispatcher.messages[0]["text"] == text


async def test_the_application_is_made_for_the_enterprises_own_declarations(runner) -> None:
    rows = small(TODAY).tables
    mine = [d for d in rows[Declaration] if d["enterprise_id"] == ACME.subject]
    cleared = next(d["entry_no"] for d in mine if d["cleared_on"] and not d["legacy"])
    theirs = next(d["entry_no"] for d in rows[Declaration] if d["enterprise_id"] != ACME.subject)
    dispatcher = CollectingDispatcher()
    slots = {
        "application_kind": "print",
        "declaration_numbers": f"{cleared},{theirs}",
        "print_signature": "signed",
    }
    events = await ActionSubmitApplication(runner).run(
        dispatcher, form_tracker(ACME_LEGAL_CARD, **slots), {}
    )
    [message] = dispatcher.messages
    assert message["text"].startswith("已提交自助打印申请（有签章），申请编号 DY")
    assert f"{cleared}：制作中" in message["text"]
    assert f"未申请：{theirs}" in message["text"]
    assert {e["name"]: e["value"] for e in events} == dict.fromkeys(slots)
    listed = await runner.records.applications(
        ACME.subject, ApplicationKind.PRINT, entry_nos=[cleared]
    )
    assert any(line.status == "3" for line in listed.items)

    dispatcher = CollectingDispatcher()
    await ActionSubmitApplication(runner).run(dispatcher, form_tracker(BOB, **slots), {})
    assert dispatcher.messages[0]["text"] == ENTERPRISE_ONLY_TEXT


async def test_applying_needs_the_legal_card_even_after_the_form(runner) -> None:
    """The form may have started with the 法人卡 in; taken out since, the application waits."""
    rows = small(TODAY).tables
    mine = [d for d in rows[Declaration] if d["enterprise_id"] == ACME.subject]
    cleared = next(d["entry_no"] for d in mine if d["cleared_on"] and not d["legacy"])
    slots = {
        "application_kind": "print",
        "declaration_numbers": cleared,
        "print_signature": "signed",
    }

    async def applications() -> int:
        listed = await runner.records.applications(
            ACME.subject, ApplicationKind.PRINT, entry_nos=[cleared]
        )
        return len(listed.items)

    before = await applications()
    for who, text in ((ACME, LEGAL_CARD_TEXT), (ACME_OPERATOR_CARD, OPERATOR_CARD_TEXT)):
        dispatcher = CollectingDispatcher()
        await ActionSubmitApplication(runner).run(dispatcher, form_tracker(who, **slots), {})
        [message] = dispatcher.messages
        assert message["text"] == text.format(enterprise=DEMO_ENTERPRISES[0].name)
        assert "卡介质验证" in message["text"]
    assert await applications() == before
    # With the 法人卡 the same form goes through: the refusals above were the gate, not the data.
    dispatcher = CollectingDispatcher()
    await ActionSubmitApplication(runner).run(
        dispatcher, form_tracker(ACME_LEGAL_CARD, **slots), {}
    )
    assert dispatcher.messages[0]["text"].startswith("已提交自助打印申请")
    assert await applications() == before + 1


async def test_other_enterprise_queries_accept_either_card_or_the_portal(runner) -> None:
    answers = [
        (await ask(runner, "我们的车辆备案", who, query="vehicles"))[0]["text"]
        for who in (ACME, ACME_LEGAL_CARD, ACME_OPERATOR_CARD)
    ]
    assert answers[0] == answers[1] == answers[2]
    assert "共 " in answers[0]


async def test_vehicle_filings_by_a_plate_in_words(runner) -> None:
    [listed] = await ask(runner, "我们的车辆备案", ACME, query="vehicles")
    plate = listed["text"].splitlines()[1].split(" ")[1].split("｜")[0]
    [one] = await ask(runner, f"查一下{plate}的备案", ACME, query="vehicles")
    assert "共 1 条" in one["text"] and plate in one["text"]
    [bad] = await ask(runner, "查一下京A1234的备案", ACME, query="vehicles")
    assert bad["text"] == BAD_PLATE
    [none] = await ask(runner, "查一下京A99999的备案", ACME, query="vehicles")
    assert "没有车牌号为 京A99999 的备案" in none["text"]


async def test_a_status_named_in_words_is_explained_and_filters_the_list(runner) -> None:
    [paid] = await ask(runner, "我已入库的税单有哪些", ALICE, query="tax_bills")
    assert paid["text"].startswith("“已入库”的意思：税款已缴入国库")
    listed = [line for line in paid["text"].splitlines() if line[:1].isdigit()]
    assert listed and all("已入库" in line for line in listed)

    [making] = await ask(runner, "我的打印申请怎么还在制作中", ACME, query="prints")
    assert making["text"].startswith("“制作中”的意思：版式文件正在制作")
    assert "没有查到申请记录" in making["text"]  # the demo's applications are all made


async def test_the_date_form_runs_the_list_for_the_range_it_collected(runner) -> None:
    dispatcher = CollectingDispatcher()
    opened = await ActionQueryRecords(runner).run(
        dispatcher,
        tracker("/query_records", ALICE, {"query": "tax_bills", "ask": "period", "status": "2"}),
        {},
    )
    slots = {e["name"]: e["value"] for e in opened if e["event"] == "slot"}
    assert slots == {"period_query": "tax_bills", "period_status": "2", "query_period": None}
    assert opened[-1]["name"] == "period_form"

    form = ValidatePeriodForm(clock)
    asked = form_tracker(ALICE, requested_slot="query_period")
    assert form.validate_query_period("2026-01-01 至 2026-11-01", dispatcher, asked, {}) == {
        "query_period": None
    }
    assert dispatcher.messages[-1]["text"] == RANGE_TOO_LONG
    answer = form.validate_query_period("2026-09-01 至 2026-11-24", dispatcher, asked, {})
    assert answer == {"query_period": "2026-09-01..2026-11-24"}
    assert form.validate_query_period("本月", dispatcher, asked, {}) == {
        "query_period": "2026-11-01..2026-11-24"
    }

    dispatcher = CollectingDispatcher()
    collected = form_tracker(
        ALICE, period_query="tax_bills", period_status="2", query_period="2025-01-01..2025-03-31"
    )
    events = await ActionQueryPeriod(runner).run(dispatcher, collected, {})
    [message] = dispatcher.messages
    expected = await runner.records.tax_bills(
        ALICE.subject, Period(date(2025, 1, 1), date(2025, 3, 31)), "2"
    )
    if expected.total:
        assert "（2025-01-01 至 2025-03-31），共" in message["text"]
    else:
        assert message["text"].startswith("没有查到税单")
    assert {e["name"]: e["value"] for e in events} == {
        "period_query": None,
        "period_status": None,
        "query_period": None,
    }


async def test_a_number_in_the_words_shows_that_record(runner) -> None:
    bill = (await runner.records.tax_bills(ALICE.subject)).items[1]
    [detail] = await ask(runner, f"帮我查下税单{bill.tax_no}", ALICE, query="tax_bills")
    assert detail["text"].startswith(f"税款编号 {bill.tax_no}")
    order = (await runner.records.inventories(ALICE.subject)).items[2]
    [items] = await ask(runner, f"清单 {order.inventory_no} 的商品", ALICE, query="clearances")
    assert items["text"].startswith(f"清单编号 {order.inventory_no}")


@pytest.fixture
def transcripts_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'swa.db'}"
    db.upgrade(url)
    return url


@pytest.mark.parametrize(
    ("listing", "detail_title", "shown"),
    [("tax_bills", "详情", "应缴税款"), ("clearances", "明细", "商品明细")],
)
async def test_a_record_button_replayed_from_the_transcript_still_opens_the_record(
    runner, transcripts_url: str, listing: str, detail_title: str, shown: str
) -> None:
    """The transcript masks personal numbers in stored payloads; record numbers are not."""
    engine = db.create_engine(transcripts_url)
    store = TranscriptStore(db.session_factory(engine))
    [listed] = await ask(runner, "/query_records", ALICE, query=listing)
    buttons = [Button(**b) for b in listed["buttons"]]
    await store.append(CONVERSATION, [OutboundMessage(text=listed["text"], buttons=buttons)])
    [replayed] = await store.history(CONVERSATION, limit=1)
    await engine.dispose()

    assert replayed.buttons == buttons
    clicked = next(b for b in replayed.buttons if b.title.endswith(detail_title))
    entities = json.loads(clicked.payload[clicked.payload.index("{") :])
    [detail] = await ask(runner, clicked.payload, ALICE, **entities)
    assert shown in detail["text"]


BAD_QUOTA_YEAR = BAD_YEAR.format(first=2000, last=2026)
HUGE = "9" * 5000  # int() refuses more than 4300 digits


@pytest.mark.parametrize(
    ("who", "entities", "expected"),
    [
        # Numbers that str.isdigit() accepts and int() refuses, or that are no year or page.
        (ALICE, {"query": "quota", "year": "²"}, BAD_QUOTA_YEAR),
        (ALICE, {"query": "quota", "year": "0"}, BAD_QUOTA_YEAR),
        (ALICE, {"query": "quota", "year": "-1"}, BAD_QUOTA_YEAR),
        (ALICE, {"query": "quota", "year": "1999"}, BAD_QUOTA_YEAR),
        (ALICE, {"query": "quota", "year": "2030"}, BAD_QUOTA_YEAR),
        (ALICE, {"query": "quota", "year": HUGE}, BAD_QUOTA_YEAR),
        (ALICE, {"query": "quota", "year": 2025.5}, BAD_QUOTA_YEAR),
        (ALICE, {"query": "quota", "year": True}, BAD_QUOTA_YEAR),
        (ALICE, {"query": "quota", "year": ["2025"]}, BAD_QUOTA_YEAR),
        (ALICE, {"query": "tax_bills", "page": "²"}, BAD_PAGE),
        (ALICE, {"query": "tax_bills", "page": "0"}, BAD_PAGE),
        (ALICE, {"query": "tax_bills", "page": "-1"}, BAD_PAGE),
        (ALICE, {"query": "tax_bills", "page": HUGE}, BAD_PAGE),
        (ALICE, {"query": "tax_bills", "page": "99999999999999999999"}, BAD_PAGE),
        (ALICE, {"query": "clearances", "page": {"n": 2}}, BAD_PAGE),
        # Periods, statuses and record numbers no button sends.
        (ALICE, {"query": "tax_bills", "period": "forever"}, BAD_PERIOD),
        (ALICE, {"query": "tax_bills", "period": "2026-13-01..2026-13-02"}, BAD_DATE),
        (ALICE, {"query": "tax_bills", "period": ["month"]}, NOT_UNDERSTOOD),
        (ALICE, {"query": "tax_bills", "period": "month" * 1000}, NOT_UNDERSTOOD),
        (ALICE, {"query": "tax_bills", "status": "not-a-status"}, NOT_UNDERSTOOD),
        (ALICE, {"query": "clearances", "status": 800}, NOT_UNDERSTOOD),
        (ALICE, {"query": "tax_bill", "record_no": "138****5678"}, BAD_RECORD_NUMBER),
        (ALICE, {"query": "tax_bill", "record_no": "1' OR '1'='1"}, BAD_RECORD_NUMBER),
        (ALICE, {"query": "clearance", "record_no": "1" * 500}, BAD_RECORD_NUMBER),
        (ALICE, {"query": "clearance", "record_no": 210000000000000001}, BAD_RECORD_NUMBER),
        (ALICE, {"query": "clearance", "record_no": ["x"]}, BAD_RECORD_NUMBER),
        (
            ACME,
            {"query": "confirm_delivery", "record_no": "T20261124000001", "confirmed": "ok"},
            NOT_UNDERSTOOD,
        ),
        # Queries and the date form's opener.
        (ALICE, {"query": "robots"}, NOT_UNDERSTOOD),
        (ALICE, {"query": ["quota"]}, NOT_UNDERSTOOD),
        (ALICE, {"query": {"query": "quota"}}, NOT_UNDERSTOOD),
        (ALICE, {"query": "q" * 10_000}, NOT_UNDERSTOOD),
        (ALICE, {"query": "tax_bills", "ask": "everything"}, NOT_UNDERSTOOD),
        (ALICE, {"query": "tax_bills", "ask": "period", "status": ["x"]}, NOT_UNDERSTOOD),
        (None, {"query": "robots"}, NOT_UNDERSTOOD),
    ],
)
async def test_malformed_entities_get_a_polite_answer(runner, who, entities, expected) -> None:
    """Crafted payloads (`/query_records{"page":"²"}`) are answered, not crashed on."""
    dispatcher = CollectingDispatcher()
    events = await ActionQueryRecords(runner).run(
        dispatcher, tracker("/query_records", who, entities), {}
    )
    assert events == []
    [message] = dispatcher.messages
    assert message["text"] == expected
    assert message["buttons"][-1]["title"] == "没解决？转人工"


@pytest.mark.parametrize(
    ("slots", "expected"),
    [
        ({"period_query": "robots", "query_period": "month"}, NOT_UNDERSTOOD),
        ({"period_query": ["tax_bills"], "query_period": "month"}, NOT_UNDERSTOOD),
        ({"period_query": "tax_bills", "query_period": "forever"}, BAD_PERIOD),
        ({"period_query": "tax_bills", "query_period": 7}, NOT_UNDERSTOOD),
        ({"period_query": "tax_bills", "period_status": "x" * 1000}, NOT_UNDERSTOOD),
    ],
)
async def test_malformed_date_form_slots_get_a_polite_answer(runner, slots, expected) -> None:
    dispatcher = CollectingDispatcher()
    await ActionQueryPeriod(runner).run(dispatcher, form_tracker(ALICE, **slots), {})
    [message] = dispatcher.messages
    assert message["text"] == expected


@pytest.mark.parametrize(
    "slots",
    [
        {"application_kind": "robots", "declaration_numbers": "010120231000012345"},
        {"application_kind": ["print"], "declaration_numbers": "010120231000012345"},
        {"application_kind": "print", "declaration_numbers": ["010120231000012345"]},
        {"application_kind": "export", "declaration_numbers": "0" * 10_000},
    ],
)
async def test_malformed_application_slots_get_a_polite_answer(runner, slots) -> None:
    dispatcher = CollectingDispatcher()
    submit = ActionSubmitApplication(runner)
    await submit.run(dispatcher, form_tracker(ACME_LEGAL_CARD, **slots), {})
    [message] = dispatcher.messages
    assert message["text"] == NOT_UNDERSTOOD


async def test_a_typed_record_number_is_its_owners_record_only(runner, redis_client) -> None:
    """Issue 17: "税单…详情" typed shows the bill to its owner; others are told how to log in."""
    action = ActionAnswerFaq(default_kb(), HotQuestions(redis_client), clock, runner)
    tax_no = (await runner.records.tax_bills(ALICE.subject)).items[0].tax_no

    async def answer(text: str, identity: Identity | None) -> list[dict]:
        dispatcher = CollectingDispatcher()
        # The selector's ranking is what an unmasked number once produced: it must not matter.
        message = {**parse(text, [("cbec_single_item", 0.88)]), "metadata": signed(identity)}
        await action.run(
            dispatcher, Tracker(CONVERSATION, {}, message, [], False, None, {}, ""), {}
        )
        return dispatcher.messages

    bill = await runner.records.tax_bill(ALICE.subject, tax_no)
    for text in (f"税单{tax_no}详情", tax_no, f"查一下税单 {tax_no}"):
        [mine] = await answer(text, ALICE)
        assert f"应缴税款：{show_yuan(bill.summary.amount)}" in mine["text"], text
    [others] = await answer(f"税单{tax_no}详情", BOB)
    assert "没有找到" in others["text"] and "元" not in others["text"]
    [anonymous] = await answer(f"税单{tax_no}详情", None)
    assert "先验证身份" in anonymous["text"]
    [phone] = await answer("13800138000", None)
    assert "电话号码" in phone["text"]
    assert default_kb().entry("cbec_single_item").answer not in phone["text"]


async def test_a_buttons_title_typed_does_what_the_button_does(runner, redis_client) -> None:
    """Issue 17: "查询2025年额度" typed under the quota answer runs that query, not the how-to."""
    action = ActionAnswerFaq(default_kb(), HotQuestions(redis_client), clock, runner)
    [shown] = await ask(runner, "/query_records", ALICE, query="quota")
    year_button = next(b for b in shown["buttons"] if b["title"].endswith("年额度"))
    [clicked] = await ask(runner, year_button["payload"], ALICE, query="quota",
                          year=year_button["title"][2:6])
    sent = {"event": "bot", "text": shown["text"], "data": {"buttons": shown["buttons"]}}

    async def typed(text: str, ranking: list) -> list[dict]:
        dispatcher = CollectingDispatcher()
        message = {**parse(text, ranking), "metadata": signed(ALICE)}
        events = [sent, {"event": "user", "text": text}]
        await action.run(
            dispatcher, Tracker(CONVERSATION, {}, message, events, False, None, {}, ""), {}
        )
        return dispatcher.messages

    [by_typing] = await typed(year_button["title"], [("cbec_quota_reset", 0.9)])
    assert by_typing["text"] == clicked["text"]
    [faq] = await typed("额度什么时候清零", [("cbec_quota_reset", 0.9)])
    assert faq["text"] == replies.answer_text(default_kb().entry("cbec_quota_reset"))


async def test_a_year_named_with_the_quota_is_that_years_quota(runner, redis_client) -> None:
    """Issue 17: "2030年的额度" says the year has not come, whichever quota entry NLU chose, to
    anyone (third round: its own message, before any query); a year with records is that
    year's quota for a verified consumer."""
    action = ActionAnswerFaq(default_kb(), HotQuestions(redis_client), clock, runner)

    async def answer(text: str, identity: Identity | None) -> dict:
        dispatcher = CollectingDispatcher()
        message = {**parse(text, [("cbec_quota_reset", 0.9)]), "metadata": signed(identity)}
        await action.run(
            dispatcher, Tracker(CONVERSATION, {}, message, [], False, None, {}, ""), {}
        )
        return dispatcher.messages[0]

    this_year = clock().year
    future = await answer(f"{this_year + 4}年的额度", ALICE)
    assert future["text"] == replies.quota_year(this_year + 4, this_year)["text"]
    assert f"{this_year + 4} 年还没有到" in future["text"]
    anyone = await answer(f"我想查{this_year + 4}年度的个人额度", None)
    assert anyone["text"] == future["text"] and anyone["buttons"] == future["buttons"]
    before = await answer("2012年的跨境额度还剩多少", None)
    assert "2012 年没有个人年度额度记录" in before["text"]
    past = await answer(f"{this_year - 1}年的额度", ALICE)
    assert f"您 {this_year - 1} 年度的跨境电商个人额度" in past["text"]
    anonymous = await answer(f"{this_year - 1}年的额度还剩多少", None)
    assert "查询我的数据" in [b["title"] for b in anonymous["buttons"]]
    plain = await answer("额度什么时候清零", ALICE)
    assert plain["text"] == replies.answer_text(default_kb().entry("cbec_quota_reset"))


async def test_an_enterprises_declaration_number_typed_shows_its_applications(
    runner, redis_client
) -> None:
    action = ActionAnswerFaq(default_kb(), HotQuestions(redis_client), clock, runner)
    lines = (await runner.records.applications(ACME.subject, ApplicationKind.PRINT)).items
    entry_no = lines[0].entry_no
    dispatcher = CollectingDispatcher()
    message = {**parse(f"报关单{entry_no}", [("cbec_single_item", 0.9)]), "metadata": signed(ACME)}
    await action.run(dispatcher, Tracker(CONVERSATION, {}, message, [], False, None, {}, ""), {})
    [listed] = dispatcher.messages
    assert entry_no in listed["text"]
    others = {line.entry_no for line in lines} - {entry_no}
    assert not [other for other in others if other in listed["text"]]
