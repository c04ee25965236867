"""Transcript search (会话记录) on SQLite and PostgreSQL: the filters, China dates, paging, and
who may see which lines through the console API."""

import asyncio
import uuid
from datetime import UTC, date, datetime

import pytest

from kernel.messages import OutboundMessage, Role
from kernel.skills import Skill
from queue_service import db
from queue_service.agents.accounts import Role as StaffRole
from queue_service.console import texts as console_texts
from queue_service.console.search import ChatQuery, LineQuery, Period, SearchError, TranscriptSearch
from queue_service.console.texts import DATES_REVERSED
from queue_service.handoff.chats import ChatStore
from queue_service.transcripts import TranscriptStore
from tests.integration.test_console_api import create_account, log_in
from tests.integration.test_console_api import service as service  # the fixture, shared


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def said(role: Role, text: str, at: datetime, agent: str | None = None) -> OutboundMessage:
    return OutboundMessage(role=role, text=text, agent=agent, created_at=at)


async def write(database_url: str, conversation_id: str, lines: list[OutboundMessage]) -> None:
    engine = db.create_engine(database_url)
    try:
        await TranscriptStore(db.session_factory(engine)).append(conversation_id, lines)
    finally:
        await engine.dispose()


@pytest.fixture
async def search(database_url: str):
    engine = db.create_engine(database_url)
    yield TranscriptSearch(db.session_factory(engine))
    await engine.dispose()


@pytest.fixture
def tag() -> str:
    """Conversation ids no other test uses: the database lives for the whole test session."""
    return uuid.uuid4().hex[:12]


def texts(page) -> list[str]:
    return [line.text for line in page.items]


async def test_lines_are_found_by_conversation_agent_role_and_text(
    search: TranscriptSearch, database_url: str, tag: str
) -> None:
    first, second = f"webchat:{tag}-1", f"webchat:{tag}-2"
    at = utc(2026, 11, 24, 2, 0)
    await write(
        database_url,
        first,
        [
            said(Role.USER, "报关单 Status 一直是暂存", at),
            said(Role.BOT, "请问是哪种报关单？", at),
            said(Role.USER, "我要找人工 100%_急", at, agent="wang"),
            said(Role.AGENT, "您好，我是客服小王", at, agent="wang"),
        ],
    )
    await write(database_url, second, [said(Role.AGENT, "您好，我是客服小李", at, agent="li")])

    prefix = await search.lines(LineQuery(conversation=f"webchat:{tag}"))
    assert texts(prefix) == [
        "您好，我是客服小李",
        "您好，我是客服小王",
        "我要找人工 100%_急",
        "请问是哪种报关单？",
        "报关单 Status 一直是暂存",
    ]
    assert prefix.next_before is None
    exact = await search.lines(LineQuery(conversation=first))
    assert len(exact.items) == 4
    assert {line.conversation_id for line in exact.items} == {first}

    scoped = LineQuery(conversation=f"webchat:{tag}")
    by_agent = await search.lines(LineQuery(conversation=scoped.conversation, agent="wang"))
    assert texts(by_agent) == ["您好，我是客服小王", "我要找人工 100%_急"]
    by_role = await search.lines(LineQuery(conversation=scoped.conversation, role=Role.AGENT))
    assert [line.agent for line in by_role.items] == ["li", "wang"]
    ignoring_case = await search.lines(LineQuery(conversation=scoped.conversation, text="status"))
    assert texts(ignoring_case) == ["报关单 Status 一直是暂存"]
    literal = await search.lines(LineQuery(conversation=scoped.conversation, text="0%_"))
    assert texts(literal) == ["我要找人工 100%_急"]
    assert (await search.lines(LineQuery(conversation=scoped.conversation, text="_x"))).items == []
    # A conversation id is matched from its beginning only, wildcards included.
    assert (await search.lines(LineQuery(conversation=tag))).items == []
    assert (await search.lines(LineQuery(conversation="webchat:%" + tag))).items == []


async def test_a_number_searched_in_full_finds_the_masked_line(
    search: TranscriptSearch, database_url: str, tag: str
) -> None:
    conversation = f"webchat:{tag}"
    await write(database_url, conversation, [said(Role.USER, "电话13812345678", utc(2026, 1, 1))])
    found = await search.lines(LineQuery(conversation=conversation, text="13812345678"))
    assert texts(found) == ["电话138****5678"]


async def test_dates_are_china_dates(search: TranscriptSearch, database_url: str, tag: str):
    conversation = f"webchat:{tag}"
    await write(
        database_url,
        conversation,
        [
            said(Role.USER, "23日 23:59", utc(2026, 11, 23, 15, 59)),
            said(Role.USER, "24日 00:30", utc(2026, 11, 23, 16, 30)),
            said(Role.USER, "24日 23:59", utc(2026, 11, 24, 15, 59)),
            said(Role.USER, "25日 00:00", utc(2026, 11, 24, 16, 0)),
        ],
    )

    async def on(first: date | None, last: date | None) -> list[str]:
        query = LineQuery(conversation=conversation, period=Period(first, last))
        return texts(await search.lines(query))

    day = date(2026, 11, 24)
    assert await on(day, day) == ["24日 23:59", "24日 00:30"]
    assert await on(day, None) == ["25日 00:00", "24日 23:59", "24日 00:30"]
    assert await on(None, day) == ["24日 23:59", "24日 00:30", "23日 23:59"]
    assert await on(date(2026, 11, 23), date(2026, 11, 25)) == await on(None, None)
    with pytest.raises(SearchError) as reversed_dates:
        Period(date(2026, 11, 25), day)
    assert str(reversed_dates.value) == DATES_REVERSED


async def test_pages_go_back_in_time_without_repeating(
    search: TranscriptSearch, database_url: str, tag: str
) -> None:
    conversation = f"webchat:{tag}"
    await write(
        database_url,
        conversation,
        [said(Role.USER, f"第{n}句", utc(2026, 11, 24, 1, n)) for n in range(1, 6)],
    )
    pages = []
    before = None
    while True:
        page = await search.lines(LineQuery(conversation=conversation, limit=2, before_id=before))
        pages.append(texts(page))
        if page.next_before is None:
            break
        before = page.next_before
    assert pages == [["第5句", "第4句"], ["第3句", "第2句"], ["第1句"]]
    # At most 100 a page, whatever is asked.
    assert len((await search.lines(LineQuery(limit=10_000))).items) <= 100


async def test_an_agent_sees_only_lines_marked_with_their_name(
    search: TranscriptSearch, database_url: str, tag: str
) -> None:
    conversation = f"webchat:{tag}"
    at = utc(2026, 11, 24, 3, 0)
    await write(
        database_url,
        conversation,
        [
            said(Role.USER, "机器人部分", at),
            said(Role.AGENT, "小王的回复", at, agent="wang"),
            said(Role.AGENT, "小李的回复", at, agent="li"),
        ],
    )
    mine = await search.lines(LineQuery(conversation=conversation, served_by="wang"))
    assert texts(mine) == ["小王的回复"]
    theirs = LineQuery(conversation=conversation, agent="li", served_by="wang")
    assert (await search.lines(theirs)).items == []
    assert await search.served(conversation, "wang")
    assert not await search.served(conversation, "zhao")


async def test_chats_of_an_agent_newest_first(
    search: TranscriptSearch, database_url: str, tag: str
) -> None:
    engine = db.create_engine(database_url)
    chats = ChatStore(db.session_factory(engine))
    agent = f"a{tag[:10]}"
    day_ms = int(utc(2026, 11, 24, 2).timestamp() * 1000)
    old = await chats.open(
        f"webchat:{tag}-old", Skill.AIRPORT, agent, day_ms - 86_400_000, day_ms - 86_400_000
    )
    new = await chats.open(f"webchat:{tag}-new", Skill.ACCOUNT, agent, day_ms, day_ms)
    await chats.open(f"webchat:{tag}-other", Skill.ACCOUNT, "someone", day_ms, day_ms)
    await engine.dispose()

    page = await search.chats(ChatQuery(agent=agent))
    assert [c.id for c in page.items] == [new.id, old.id]
    that_day = await search.chats(ChatQuery(agent=agent, period=Period(date(2026, 11, 24))))
    assert [c.conversation_id for c in that_day.items] == [f"webchat:{tag}-new"]
    assert await search.served(f"webchat:{tag}-old", agent)


def test_the_api_limits_agents_to_their_own_lines(service, database_url, tag: str) -> None:
    wang = create_account(database_url)
    boss = create_account(database_url, role=StaffRole.SUPERVISOR)
    served, other = f"webchat:{tag}-a", f"webchat:{tag}-b"
    at = utc(2026, 11, 24, 4, 0)
    asyncio.run(
        write(
            database_url,
            served,
            [
                said(Role.BOT, "您好，我是智能客服", at),
                said(Role.USER, "卡锁了", at, agent=wang),
                said(Role.AGENT, "请到制卡点解锁", at, agent=wang),
            ],
        )
    )
    asyncio.run(write(database_url, other, [said(Role.AGENT, "别人的会话", at, agent="li")]))
    params = {"conversation": f"webchat:{tag}", "date_from": "2026-11-24", "date_to": "2026-11-24"}

    log_in(service, wang)
    lines = service.get("/console/api/search", params=params).json()
    assert [(line["role"], line["text"]) for line in lines["lines"]] == [
        ("agent", "请到制卡点解锁"),
        ("user", "卡锁了"),
    ]
    assert lines["next_before"] is None
    assert lines["lines"][0]["created_at"].startswith("2026-11-24T04:00:00")
    # Asking for another agent's lines does not widen what an agent sees.
    assert service.get("/console/api/search", params={**params, "agent": "li"}).json() == {
        "lines": [],
        "next_before": None,
    }
    # The whole conversation they served, bot part included; not another one.
    whole = service.get("/console/api/search/conversation", params={"conversation_id": served})
    assert [m["text"] for m in whole.json()["messages"]] == [
        "您好，我是智能客服",
        "卡锁了",
        "请到制卡点解锁",
    ]
    refused = service.get("/console/api/search/conversation", params={"conversation_id": other})
    assert (refused.status_code, refused.json()["detail"]) == (403, console_texts.NOT_SERVED)

    log_in(service, boss)
    everything = service.get("/console/api/search", params=params).json()["lines"]
    assert len(everything) == 4
    by_agent = service.get("/console/api/search", params={**params, "agent": "li"}).json()
    assert [line["text"] for line in by_agent["lines"]] == ["别人的会话"]
    found = service.get("/console/api/search", params={**params, "text": "制卡点", "role": "agent"})
    assert [line["conversation_id"] for line in found.json()["lines"]] == [served]
    assert (
        service.get("/console/api/search/conversation", params={"conversation_id": other})
    ).status_code == 200


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"date_from": "2026/11/24"}, console_texts.BAD_DATE),
        ({"date_to": "2026-02-30"}, console_texts.BAD_DATE),
        ({"date_from": "昨天"}, console_texts.BAD_DATE),
        ({"date_from": "2026-11-25", "date_to": "2026-11-24"}, DATES_REVERSED),
    ],
)
def test_bad_dates_are_refused_in_chinese(service, database_url, params, detail) -> None:
    log_in(service, create_account(database_url))
    for path in ("/console/api/search", "/console/api/search/chats"):
        refused = service.get(path, params=params)
        assert (refused.status_code, refused.json()["detail"]) == (422, detail)


def test_pages_are_at_most_a_hundred_lines(service, database_url) -> None:
    assert service.get("/console/api/search").status_code == 401
    log_in(service, create_account(database_url, role=StaffRole.SUPERVISOR))
    assert service.get("/console/api/search", params={"limit": 100}).status_code == 200
    too_many = service.get("/console/api/search", params={"limit": 101})
    assert too_many.status_code == 422
    assert "提交的内容不正确" in too_many.json()["detail"]


def test_the_api_lists_an_agents_chats(service, database_url, tag: str) -> None:
    wang = create_account(database_url)
    boss = create_account(database_url, role=StaffRole.SUPERVISOR)

    async def open_chats() -> None:
        engine = db.create_engine(database_url)
        chats = ChatStore(db.session_factory(engine))
        now_ms = int(datetime.now(UTC).timestamp() * 1000)
        await chats.open(f"webchat:{tag}-w", Skill.AIRPORT, wang, now_ms, now_ms)
        await chats.open(f"webchat:{tag}-x", Skill.OTHER, "someone", now_ms, now_ms)
        await engine.dispose()

    asyncio.run(open_chats())
    params = {"conversation": f"webchat:{tag}"}
    log_in(service, wang)
    mine = service.get("/console/api/search/chats", params=params).json()["chats"]
    assert [(c["conversation_id"], c["skill_title"], c["agent"]) for c in mine] == [
        (f"webchat:{tag}-w", "空港物流", wang)
    ]
    assert mine[0]["closed_at"] is None and mine[0]["disposition_title"] is None
    others = service.get("/console/api/search/chats", params={**params, "agent": "someone"})
    assert others.json()["chats"] == []
    log_in(service, boss)
    everyone = service.get("/console/api/search/chats", params=params).json()["chats"]
    assert [c["agent"] for c in everyone] == ["someone", wang]
