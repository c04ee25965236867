"""The user's side of a handoff on a real Redis and SQL: queue, cancel, leave a message."""

from dataclasses import dataclass
from datetime import datetime

import pytest

from kernel.clock import CHINA_TZ
from kernel.messages import InboundMessage, OutboundMessage
from kernel.skills import Skill
from queue_service import db
from queue_service.handoff import desk as desk_buttons
from queue_service.handoff import texts
from queue_service.handoff.caps import HandoffCaps
from queue_service.handoff.chats import ChatStore
from queue_service.handoff.desk import HandoffDesk
from queue_service.handoff.hours import Timetable
from queue_service.handoff.phases import Phase
from queue_service.handoff.queue import AgentStatus, HandoffQueue
from queue_service.handoff.texts import CONTACT_INVALID, TEXT_EMPTY
from queue_service.handoff.tickets import TicketStatus, TicketStore
from queue_service.hub import handoff_skill
from queue_service.settings import Settings
from queue_service.transcripts import TranscriptStore
from tests.support.tickets import ticket_desk

# Monday 2026-09-28 10:00 and 20:00, China time.
MORNING = datetime(2026, 9, 28, 10, 0, tzinfo=CHINA_TZ)
EVENING = datetime(2026, 9, 28, 20, 0, tzinfo=CHINA_TZ)
TIMETABLE = Timetable.parse("mon-fri 08:30-17:30")


@pytest.fixture
async def tickets():
    engine = db.create_engine("sqlite+aiosqlite:///:memory:")
    async with engine.begin() as connection:
        await connection.run_sync(db.Base.metadata.create_all)
    yield TicketStore(db.session_factory(engine))
    await engine.dispose()


@dataclass
class AskedByHub:
    """The desk as the hub asks it: each message with the conversation read for it."""

    desk: HandoffDesk
    queue: HandoffQueue

    async def handle(self, inbound: InboundMessage) -> list[OutboundMessage] | None:
        conversation = await self.queue.read(inbound.conversation_id)
        return await self.desk.handle(inbound, conversation)

    async def request(self, *args) -> list[OutboundMessage]:
        return await self.desk.request(*args)


def make_desk(
    redis_client, tickets, now: datetime, caps: HandoffCaps | None = None, manual=()
) -> AskedByHub:
    # Chats are only rated after an agent's chat: tests/integration/test_switchboard.py.
    sessions = db.session_factory(db.create_engine("sqlite+aiosqlite:///:memory:"))
    chats = ChatStore(sessions)
    caps = caps or HandoffCaps(redis_client, Settings())
    queue = HandoffQueue(redis_client)
    desk = ticket_desk(tickets, redis_client, TranscriptStore(sessions))
    handoff = HandoffDesk(queue, desk, chats, TIMETABLE, caps, lambda: now, manual_skills=manual)
    return AskedByHub(handoff, queue)


def said(
    text: str, payload: str | None = None, who: str = "webchat:u1", client: str | None = None
) -> InboundMessage:
    return InboundMessage(conversation_id=who, text=text, payload=payload, client=client)


def click(button, who: str = "webchat:u1", client: str | None = None) -> InboundMessage:
    return said(button.title, button.payload, who, client)


async def test_after_hours_the_user_leaves_a_message(redis_client, tickets) -> None:
    desk = make_desk(redis_client, tickets, EVENING)
    [offer] = await desk.request("webchat:u1", Skill.AIRPORT)
    assert offer.text.startswith("现在是人工客服的非工作时间（下次服务时间：9月29日 08:30）")
    assert offer.buttons == [desk_buttons.LEAVE_MESSAGE, desk_buttons.BACK_TO_BOT]

    assert (await desk.handle(click(desk_buttons.LEAVE_MESSAGE)))[0].text == texts.ASK_TEXT_TEXT
    assert (await desk.handle(said("   ")))[0].text == TEXT_EMPTY
    asked = await desk.handle(said("提交货预约一直提交不了"))
    assert asked[0].text == texts.ASK_CONTACT_TEXT
    assert (await desk.handle(said("找我")))[0].text == CONTACT_INVALID
    [done] = await desk.handle(said("13812345678"))

    [ticket] = await tickets.with_status(TicketStatus.OPEN)
    assert done.text == texts.TICKET_TEXT.format(id=ticket.id)
    assert (ticket.skill, ticket.text, ticket.contact) == (
        Skill.AIRPORT,
        "提交货预约一直提交不了",
        "13812345678",
    )
    assert await desk.handle(said("卡介质怎么登录")) is None  # back with the bot


async def test_no_agent_online_offers_a_message_and_the_user_may_decline(
    redis_client, tickets
) -> None:
    desk = make_desk(redis_client, tickets, MORNING)
    [offer] = await desk.request("webchat:u1", Skill.OTHER)
    assert offer.text.startswith(texts.NO_AGENT_TEXT)
    assert (await desk.handle(click(desk_buttons.BACK_TO_BOT)))[0].text == texts.BACK_TEXT
    assert await desk.handle(said("你好")) is None

    await desk.request("webchat:u1", Skill.OTHER)
    # A new question instead of a choice goes to the bot, and the offer is forgotten.
    assert await desk.handle(said("法人卡锁了怎么办")) is None
    assert await desk.handle(said("还有问题")) is None
    assert await tickets.with_status(TicketStatus.OPEN) == []


async def test_with_agents_online_users_queue_see_their_place_and_may_cancel(
    redis_client, tickets
) -> None:
    queue = HandoffQueue(redis_client)
    await queue.register_agent("wang", [Skill.ACCOUNT], capacity=1)
    await queue.set_status("wang", AgentStatus.ONLINE)
    desk = make_desk(redis_client, tickets, MORNING)

    # The agent has a free slot: the first user is being connected, no wait to estimate.
    [first] = await desk.request("webchat:u1", Skill.ACCOUNT)
    assert first.text == "正在为您接通账号与卡介质人工客服，请稍候。"
    assert first.buttons == [desk_buttons.CANCEL]
    # The second waits: second in line, 300 s per chat by default, one chat at once: 10 minutes.
    [second] = await desk.request("webchat:u2", Skill.ACCOUNT)
    expected = "已为您转接账号与卡介质人工客服，您前面还有 1 位用户，预计等待约 10 分钟，请稍候。"
    assert second.text == expected
    assert second.buttons == [desk_buttons.CANCEL]

    [still] = await desk.handle(said("在吗", who="webchat:u2"))
    assert still.text == texts.STILL_QUEUED_TEXT.format(position=2)
    assert (await desk.handle(click(desk_buttons.CANCEL)))[0].text == texts.CANCELLED_TEXT
    assert await desk.handle(said("你好")) is None
    [moved_up] = await desk.handle(said("取消排队", who="webchat:u2"))  # typed, not clicked
    assert moved_up.text == texts.CANCELLED_TEXT
    assert await queue.waiting(Skill.ACCOUNT) == []


async def test_a_user_with_an_agent_is_not_sent_to_the_bot(redis_client, tickets) -> None:
    queue = HandoffQueue(redis_client)
    await queue.register_agent("wang", [Skill.OTHER], capacity=3)
    await queue.set_status("wang", AgentStatus.ONLINE)
    desk = make_desk(redis_client, tickets, MORNING)
    await desk.request("webchat:u1", Skill.OTHER)
    await queue.assign_next(Skill.OTHER)
    served = await queue.read("webchat:u1")
    assert (served.phase, served.agent) == (Phase.WITH_AGENT, "wang")  # the hub asks the agent
    with pytest.raises(ValueError):
        await desk.handle(said("你好"))  # and never the desk
    assert (await desk.request("webchat:u1", Skill.OTHER))[0].text == texts.WITH_AGENT_TEXT


def test_the_hub_reads_the_skill_of_a_handoff_payload() -> None:
    def asking(skill: str) -> OutboundMessage:
        return OutboundMessage(custom={"handoff": {"skill": skill}})

    assert handoff_skill(asking("airport")) is Skill.AIRPORT
    assert handoff_skill(asking("weather")) is Skill.OTHER
    assert handoff_skill(OutboundMessage(custom={"other": 1})) is None
    assert handoff_skill(OutboundMessage(text="hi")) is None


async def test_a_ticket_the_database_refuses_is_not_lost(redis_client, tickets) -> None:
    # A database without the schema: every write fails like a database that is down.
    broken_engine = db.create_engine("sqlite+aiosqlite:///:memory:")
    broken = make_desk(redis_client, TicketStore(db.session_factory(broken_engine)), EVENING)
    try:
        await broken.request("webchat:u1", Skill.OTHER)
        await broken.handle(click(desk_buttons.LEAVE_MESSAGE))
        await broken.handle(said("报关单状态一直是制作中"))
        [failed] = await broken.handle(said("13812345678"))
        assert failed.text == texts.TICKET_FAILED_TEXT
    finally:
        await broken_engine.dispose()

    # Once the database is back, sending the contact again stores the text typed before.
    [done] = await make_desk(redis_client, tickets, EVENING).handle(said("13812345678"))
    assert done.text.startswith("留言已提交")
    [ticket] = await tickets.with_status(TicketStatus.OPEN)
    assert ticket.text == "报关单状态一直是制作中"


async def test_old_buttons_clicked_later_still_do_what_they_say(redis_client, tickets) -> None:
    desk = make_desk(redis_client, tickets, EVENING)
    assert (await desk.handle(click(desk_buttons.CANCEL)))[0].text == texts.NOT_QUEUED_TEXT
    assert (await desk.handle(click(desk_buttons.BACK_TO_BOT)))[0].text == texts.BACK_TEXT
    assert (await desk.handle(click(desk_buttons.LEAVE_MESSAGE)))[0].text == texts.ASK_TEXT_TEXT
    await desk.handle(said("卡介质登录一直报错"))
    await desk.handle(said("bjuser@example.com"))
    [ticket] = await tickets.with_status(TicketStatus.OPEN)
    assert (ticket.skill, ticket.text) == (Skill.OTHER, "卡介质登录一直报错")


async def test_in_a_skill_agents_pick_by_hand_a_free_agent_still_means_a_wait(
    redis_client, tickets
) -> None:
    queue = HandoffQueue(redis_client)
    await queue.register_agent("wang", [Skill.DECLARATION], capacity=3)
    await queue.set_status("wang", AgentStatus.ONLINE)
    desk = make_desk(redis_client, tickets, MORNING, manual=[Skill.DECLARATION])
    [queued] = await desk.request("webchat:u1", Skill.DECLARATION)
    assert "您前面还有 0 位用户" in queued.text


async def test_handoffs_are_capped_per_conversation_and_per_client(redis_client, tickets) -> None:
    queue = HandoffQueue(redis_client)
    await queue.register_agent("wang", [Skill.OTHER], capacity=3)
    await queue.set_status("wang", AgentStatus.ONLINE)
    caps = HandoffCaps(redis_client, Settings(handoffs_per_conversation=2, handoffs_per_ip=3))
    desk = make_desk(redis_client, tickets, MORNING, caps)

    async def ask(who: str, client: str | None) -> str:
        [answer] = await desk.request(who, Skill.OTHER, client)
        if answer.buttons == [desk_buttons.CANCEL]:  # queued: cancelled at once, to ask again
            await desk.handle(click(desk_buttons.CANCEL, who))
        return answer.text

    queued = texts.CONNECTING_TEXT.format(skill="其他")
    # One web chat page asking again and again: refused after two, and nothing is queued.
    assert queued == await ask("webchat:u1", "203.0.113.9")
    assert queued == await ask("webchat:u1", "203.0.113.9")
    assert await ask("webchat:u1", "203.0.113.9") == texts.TOO_MANY_HANDOFFS_TEXT
    assert (await queue.read("webchat:u1")).phase is Phase.BOT
    # A new conversation from the same address: the address is at its cap (three asked).
    assert await ask("webchat:u2", "203.0.113.9") == texts.TOO_MANY_HANDOFFS_TEXT
    assert await queue.waiting(Skill.OTHER) == []
    # Another address is not affected; WeChat and Telegram (no address) count per conversation.
    assert queued == await ask("webchat:u3", "198.51.100.7")
    for _ in range(2):
        assert queued == await ask("wechat:oAbC", None)
    assert await ask("wechat:oAbC", None) == texts.TOO_MANY_HANDOFFS_TEXT
    assert "95198" in texts.TOO_MANY_HANDOFFS_TEXT


async def test_tickets_are_capped_per_conversation_and_per_client(redis_client, tickets) -> None:
    caps = HandoffCaps(redis_client, Settings(tickets_per_conversation=1, tickets_per_ip=2))
    desk = make_desk(redis_client, tickets, EVENING, caps)

    async def leave(who: str, client: str) -> str:
        await desk.request(who, Skill.OTHER, client)
        [asked] = await desk.handle(click(desk_buttons.LEAVE_MESSAGE, who, client))
        if asked.text != texts.ASK_TEXT_TEXT:
            return asked.text
        await desk.handle(said("报关单状态一直是制作中", who=who, client=client))
        # A mistyped contact is corrected without using up a ticket.
        await desk.handle(said("找我", who=who, client=client))
        [done] = await desk.handle(said("13812345678", who=who, client=client))
        return done.text

    assert (await leave("webchat:u1", "203.0.113.9")).startswith("留言已提交")
    # Refused before the user writes anything, with the hotline; the form is gone.
    assert await leave("webchat:u1", "203.0.113.9") == texts.TOO_MANY_TICKETS_TEXT
    assert await desk.handle(said("报关单怎么打印", client="203.0.113.9")) is None
    assert (await leave("webchat:u2", "203.0.113.9")).startswith("留言已提交")
    assert await leave("webchat:u3", "203.0.113.9") == texts.TOO_MANY_TICKETS_TEXT
    assert len(await tickets.with_status(TicketStatus.OPEN)) == 2
    assert "95198" in texts.TOO_MANY_TICKETS_TEXT


async def test_a_ticket_over_the_cap_at_its_last_step_is_not_created(redis_client, tickets) -> None:
    caps = HandoffCaps(redis_client, Settings(tickets_per_conversation=1))
    desk = make_desk(redis_client, tickets, EVENING, caps)
    # Two pages of one conversation, both writing a message at once: the first one counts.
    await desk.request("webchat:u1", Skill.OTHER)
    await desk.handle(click(desk_buttons.LEAVE_MESSAGE))
    await desk.handle(said("报关单状态一直是制作中"))
    await caps.tickets.hit("webchat:u1", None)  # the other page's ticket
    [refused] = await desk.handle(said("13812345678"))
    assert refused.text == texts.TOO_MANY_TICKETS_TEXT
    assert await tickets.with_status(TicketStatus.OPEN) == []


async def test_a_phone_number_typed_for_the_text_is_the_contact(redis_client, tickets) -> None:
    """Issue 17: during 留言 a bare phone number is the contact, never a question or the text."""
    desk = make_desk(redis_client, tickets, EVENING)
    await desk.request("webchat:u1", Skill.CROSS_BORDER)
    assert (await desk.handle(click(desk_buttons.LEAVE_MESSAGE)))[0].text == texts.ASK_TEXT_TEXT
    [done] = await desk.handle(said(" 138 1234 5678 "))
    [ticket] = await tickets.with_status(TicketStatus.OPEN)
    assert done.text == texts.TICKET_TEXT.format(id=ticket.id)
    assert (ticket.skill, ticket.text, ticket.contact) == (
        Skill.CROSS_BORDER, texts.CONTACT_ONLY_TICKET_TEXT, "13812345678"
    )
    assert await desk.handle(said("卡介质怎么登录")) is None  # back with the bot


async def test_a_contact_typed_in_answer_to_the_offer_leaves_a_message(
    redis_client, tickets
) -> None:
    desk = make_desk(redis_client, tickets, EVENING)
    await desk.request("webchat:u2", Skill.AIRPORT)
    [done] = await desk.handle(said("lisi@example.com", who="webchat:u2"))
    [ticket] = await tickets.with_status(TicketStatus.OPEN)
    assert done.text == texts.TICKET_TEXT.format(id=ticket.id)
    assert (ticket.skill, ticket.contact) == (Skill.AIRPORT, "lisi@example.com")
    # A question typed in answer to the offer is still the bot's.
    await desk.request("webchat:u3", Skill.AIRPORT)
    assert await desk.handle(said("车辆备案怎么做", who="webchat:u3")) is None
    assert len(await tickets.with_status(TicketStatus.OPEN)) == 1
