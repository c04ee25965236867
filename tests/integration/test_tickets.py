"""Messages left for the help desk, on SQLite and PostgreSQL: validation, listing, closing."""

import uuid

import pytest

from kernel.skills import Skill
from queue_service import db
from queue_service.handoff.texts import CONTACT_INVALID, TEXT_EMPTY, TEXT_TOO_LONG
from queue_service.handoff.tickets import (
    TicketError,
    TicketStatus,
    TicketStore,
    valid_contact,
)


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
    assert ticket.id in [t.id for t in await tickets.with_status(TicketStatus.OPEN, limit=1000)]

    assert await tickets.mark_done(ticket.id, "wang", "已电话回复，属海关作业未完结")
    assert not await tickets.mark_done(ticket.id, "li", "again")
    done = {t.id: t for t in await tickets.with_status(TicketStatus.DONE, limit=1000)}
    assert (done[ticket.id].done_by, done[ticket.id].done_note) == (
        "wang",
        "已电话回复，属海关作业未完结",
    )
    open_ids = [t.id for t in await tickets.with_status(TicketStatus.OPEN, limit=1000)]
    assert ticket.id not in open_ids


@pytest.mark.parametrize(("text", "why"), [("   ", TEXT_EMPTY), ("问" * 1001, TEXT_TOO_LONG)])
async def test_bad_tickets_store_nothing(tickets: TicketStore, text: str, why: str) -> None:
    before = len(await tickets.with_status(TicketStatus.OPEN, limit=10_000))
    with pytest.raises(TicketError) as raised:
        await tickets.create("webchat:x", Skill.OTHER, text, "13812345678")
    assert str(raised.value) == why
    with pytest.raises(TicketError):
        await tickets.create("webchat:x", Skill.OTHER, "有问题", "not a contact")
    assert len(await tickets.with_status(TicketStatus.OPEN, limit=10_000)) == before
