"""Messages left for the help desk, on SQLite and PostgreSQL: validation, their life from open
to closed, search, and tickets left before they had one (migration 0009)."""

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import text

from kernel.claims import Identity, Kind, Source
from kernel.skills import Skill
from kernel.sql import alembic_config
from queue_service import db
from queue_service.handoff.texts import CONTACT_INVALID, TEXT_EMPTY, TEXT_TOO_LONG
from queue_service.handoff.tickets import (
    TicketError,
    TicketFilter,
    TicketStatus,
    TicketStore,
    valid_contact,
)
from tests.conftest import _postgres_database


@pytest.fixture
async def tickets(database_url: str):
    engine = db.create_engine(database_url)
    yield TicketStore(db.session_factory(engine))
    await engine.dispose()


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("13812345678", "13812345678"),
        (" 138 1234 5678 ", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("010-86398038", "010-86398038"),
        ("0755－12345678", "0755-12345678"),
        ("bjservice@aeotrade.com", "bjservice@aeotrade.com"),
    ],
)
def test_contacts_users_really_give_are_accepted(given: str, kept: str) -> None:
    assert valid_contact(given) == kept


@pytest.mark.parametrize("given", ["", "12345", "23812345678", "86398038", "me@", "我的微信"])
def test_contacts_nobody_can_answer_are_refused_in_chinese(given: str) -> None:
    with pytest.raises(TicketError, match="联系方式格式不正确"):
        valid_contact(given)
    assert "手机号码" in CONTACT_INVALID


async def test_a_ticket_is_kept_open_until_an_agent_closes_it(tickets: TicketStore) -> None:
    conversation = f"webchat:{uuid.uuid4()}"
    text = "报关单打印一直显示制作中，我的电话13812345678，麻烦回电"
    ticket = await tickets.create(conversation, Skill.DECLARATION, f"  {text} ", "13812345678")
    assert ticket.status is TicketStatus.OPEN
    assert ticket.text == "报关单打印一直显示制作中，我的电话138****5678，麻烦回电"
    assert ticket.contact == "13812345678"  # agents call it back
    assert ticket.identity is None and ticket.assignee is None
    assert ticket.id in [t.id for t in await tickets.with_status(TicketStatus.OPEN, limit=1000)]

    closed = await tickets.close(ticket.id, "wang", "已电话回复，属海关作业未完结")
    assert closed is not None and closed.status is TicketStatus.CLOSED
    assert await tickets.close(ticket.id, "li", "again") is None
    done = {t.id: t for t in await tickets.with_status(TicketStatus.CLOSED, limit=1000)}
    assert (done[ticket.id].done_by, done[ticket.id].done_note) == (
        "wang",
        "已电话回复，属海关作业未完结",
    )
    open_ids = [t.id for t in await tickets.with_status(TicketStatus.OPEN, limit=1000)]
    assert ticket.id not in open_ids


async def test_a_ticket_is_taken_answered_and_closed_in_that_order(tickets: TicketStore) -> None:
    zhao = Identity(
        Kind.ENTERPRISE, "ent-demo-1", "赵建国", Source.PORTAL, "北京示例进出口有限公司"
    )
    ticket = await tickets.create(
        f"wechat:{uuid.uuid4().hex}", Skill.ACCOUNT, "法人卡密码锁了", "13812345678", zhao
    )
    assert (await tickets.get(ticket.id)).identity == zhao  # kept, whatever the login does now

    taken = await tickets.assign(ticket.id, "wang")
    assert (taken.status, taken.assignee) == (TicketStatus.IN_PROGRESS, "wang")
    answered = await tickets.reply(ticket.id, "li", "客服小李", "请携带法人卡到制卡中心解锁。")
    assert answered is not None
    after, reply = answered
    # Answered by someone else than the assignee: the ticket stays with who took it.
    assert (after.status, after.assignee) == (TicketStatus.REPLIED, "wang")
    assert (reply.author, reply.author_name) == ("li", "客服小李")
    # Given to another agent once replied: it stays 已回复.
    moved = await tickets.assign(ticket.id, "zhang")
    assert (moved.status, moved.assignee) == (TicketStatus.REPLIED, "zhang")
    assert [r.text for r in await tickets.replies(ticket.id)] == ["请携带法人卡到制卡中心解锁。"]

    assert (await tickets.close(ticket.id, "zhang", "已解决")).status is TicketStatus.CLOSED
    # Closed is closed: nobody takes or answers it any more, and nothing is added.
    assert await tickets.assign(ticket.id, "wang") is None
    assert await tickets.reply(ticket.id, "wang", "客服小王", "补充") is None
    assert len(await tickets.replies(ticket.id)) == 1
    assert await tickets.get(10**9) is None


async def test_an_unanswered_ticket_replied_to_is_the_replying_agents(tickets: TicketStore) -> None:
    ticket = await tickets.create("webchat:x", Skill.OTHER, "有问题", "13812345678")
    after, _ = await tickets.reply(ticket.id, "li", "客服小李", "您好，已为您处理。")
    assert (after.status, after.assignee) == (TicketStatus.REPLIED, "li")


async def test_two_agents_closing_at_once_close_it_once(tickets: TicketStore) -> None:
    ticket = await tickets.create("webchat:x", Skill.OTHER, "有问题", "13812345678")
    results = await asyncio.gather(
        *(tickets.close(ticket.id, f"agent{i}", f"note {i}") for i in range(6))
    )
    closers = [r.done_by for r in results if r is not None]
    assert len(closers) == 1
    assert (await tickets.get(ticket.id)).done_by == closers[0]


async def test_tickets_are_searched_by_status_skill_assignee_and_period(
    tickets: TicketStore,
) -> None:
    agent = f"a{uuid.uuid4().hex[:8]}"
    made = [
        await tickets.create(f"webchat:{uuid.uuid4()}", skill, "问题", "13812345678")
        for skill in (Skill.DECLARATION, Skill.DECLARATION, Skill.ACCOUNT)
    ]
    for ticket in made:
        await tickets.assign(ticket.id, agent)
    await tickets.close(made[1].id, agent, "已处理")

    def ids(found):
        return [t.id for t in found[0]]

    everything = await tickets.search(TicketFilter(assignee=agent))
    assert ids(everything) == [t.id for t in made] and everything[1] == 3
    in_progress = TicketFilter((TicketStatus.IN_PROGRESS,), assignee=agent)
    assert ids(await tickets.search(in_progress)) == [made[0].id, made[2].id]
    declaration = TicketFilter(skill=Skill.DECLARATION, assignee=agent)
    assert ids(await tickets.search(declaration)) == [made[0].id, made[1].id]
    # A page of one, oldest first, with the total of all that match.
    page = await tickets.search(TicketFilter(assignee=agent), limit=1, offset=1)
    assert ids(page) == [made[1].id] and page[1] == 3
    now = made[0].created_at
    later = TicketFilter(assignee=agent, since=now + timedelta(days=1))
    assert await tickets.search(later) == ([], 0)
    before = TicketFilter(assignee=agent, until=now - timedelta(days=1))
    assert await tickets.search(before) == ([], 0)
    around = TicketFilter(
        assignee=agent, since=now - timedelta(hours=1), until=now + timedelta(hours=1)
    )
    assert ids(await tickets.search(around)) == [t.id for t in made]
    # Nobody's: none of these, which all have an assignee.
    unassigned = {t.id for t in (await tickets.search(TicketFilter(assignee=""), limit=10_000))[0]}
    assert unassigned.isdisjoint({t.id for t in made})
    assert [t.id for t in await tickets.of_conversation(made[2].conversation_id)] == [made[2].id]


@pytest.mark.parametrize(("text", "why"), [("   ", TEXT_EMPTY), ("问" * 1001, TEXT_TOO_LONG)])
async def test_bad_tickets_store_nothing(tickets: TicketStore, text: str, why: str) -> None:
    before = len(await tickets.with_status(TicketStatus.OPEN, limit=10_000))
    with pytest.raises(TicketError) as raised:
        await tickets.create("webchat:x", Skill.OTHER, text, "13812345678")
    assert str(raised.value) == why
    with pytest.raises(TicketError):
        await tickets.create("webchat:x", Skill.OTHER, "有问题", "not a contact")
    assert len(await tickets.with_status(TicketStatus.OPEN, limit=10_000)) == before


@pytest.fixture(params=["sqlite", "postgresql"])
def database_at_0008(request, tmp_path) -> Iterator[str]:
    """A new database whose schema stops at migration 0008, before tickets had a workflow."""
    if request.param == "sqlite":
        database = nullcontext(f"sqlite+aiosqlite:///{tmp_path / 'before-workflow.db'}")
    else:
        database = _postgres_database()
    with database as url:
        command.upgrade(alembic_config(url, db.MIGRATIONS_DIR), "0008")
        yield url


async def test_tickets_left_before_the_workflow_keep_their_state(database_at_0008) -> None:
    engine = db.create_engine(database_at_0008)
    insert = text(
        "INSERT INTO tickets (conversation_id, skill, text, contact, status, created_at, "
        "done_by, done_note, done_at) VALUES (:c, 'other', '旧留言', '13812345678', :s, :t, "
        ":by, :note, :done)"
    )
    at = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    async with engine.begin() as connection:
        await connection.execute(
            insert,
            {"c": "webchat:old-open", "s": "open", "t": at, "by": None, "note": None, "done": None},
        )
        await connection.execute(
            insert,
            {
                "c": "webchat:old-done",
                "s": "done",
                "t": at,
                "by": "wang",
                "note": "已回电",
                "done": at + timedelta(hours=1),
            },
        )
    await engine.dispose()
    await asyncio.to_thread(db.upgrade, database_at_0008)
    engine = db.create_engine(database_at_0008)
    store = TicketStore(db.session_factory(engine))
    try:
        found, total = await store.search(TicketFilter())
        by_conversation = {t.conversation_id: t for t in found}
        assert total == 2
        old_open, old_done = (
            by_conversation["webchat:old-open"],
            by_conversation["webchat:old-done"],
        )
        assert (old_open.status, old_open.updated_at) == (TicketStatus.OPEN, at)
        assert (old_done.status, old_done.done_note) == (TicketStatus.CLOSED, "已回电")
        assert old_done.updated_at == at + timedelta(hours=1)
        # The old open ticket goes on through the workflow.
        assert (await store.assign(old_open.id, "li")).status is TicketStatus.IN_PROGRESS
    finally:
        await engine.dispose()
