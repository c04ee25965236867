"""The agent's side of a handoff on real Redis and SQL: assignment, messages, close and rating,
dropped agents, long waits, and events between processes over the bus."""

import asyncio
import time
import uuid
from types import SimpleNamespace

import pytest
import redis.asyncio as aioredis

from kernel.messages import InboundMessage, Role
from kernel.skills import Skill
from queue_service import db
from queue_service.agents.accounts import AccountStore
from queue_service.bus import Bus
from queue_service.handoff import desk as desk_buttons
from queue_service.handoff import switchboard as board_module
from queue_service.handoff import texts
from queue_service.handoff.caps import HandoffCaps
from queue_service.handoff.chats import ChatStore, Disposition
from queue_service.handoff.desk import HandoffDesk
from queue_service.handoff.hours import Timetable
from queue_service.handoff.phases import Phase
from queue_service.handoff.queue import AgentStatus, HandoffQueue
from queue_service.handoff.stats import DayStats
from queue_service.handoff.switchboard import (
    NotYourChat,
    Switchboard,
    agent_topic,
    user_topic,
)
from queue_service.handoff.texts import BOT_UNAVAILABLE_TEXT
from queue_service.handoff.tickets import TicketStore
from queue_service.handoff.watch import Watch
from queue_service.hub import Hub
from queue_service.rasa_client import RasaClient
from queue_service.settings import Settings
from queue_service.transcripts import TranscriptStore
from tests.support.rasa_standins import closed_port_url
from tests.support.tickets import ticket_desk


@pytest.fixture
async def world(redis_client, database_url):
    engine = db.create_engine(database_url)
    sessions = db.session_factory(engine)
    bus = Bus(redis_client)
    await bus.start()
    queue = HandoffQueue(redis_client)
    chats = ChatStore(sessions)
    accounts = AccountStore(sessions)
    transcripts = TranscriptStore(sessions)
    desk = HandoffDesk(
        queue,
        ticket_desk(TicketStore(sessions), redis_client, transcripts),
        chats,
        Timetable.parse("mon-sun 00:00-24:00"),
        HandoffCaps(redis_client, Settings()),
    )
    board = Switchboard(redis_client, bus, queue, chats, accounts, transcripts)
    rasa = RasaClient(closed_port_url(), "token", 0.5)
    hub = Hub(rasa, transcripts, queue, desk, board)

    async def agent(display_name: str, *skills: Skill, online: bool = True) -> str:
        username = f"a{uuid.uuid4().hex[:8]}"
        await accounts.create(username, display_name, "agent password", skills=skills)
        await queue.register_agent(username, skills, capacity=3)
        if online:
            await queue.set_status(username, AgentStatus.ONLINE)
        return username

    yield SimpleNamespace(
        stats=DayStats(sessions, queue),
        redis=redis_client,
        bus=bus,
        queue=queue,
        chats=chats,
        transcripts=transcripts,
        desk=desk,
        board=board,
        hub=hub,
        agent=agent,
    )
    await board.drain()
    await rasa.aclose()
    await bus.stop()
    await engine.dispose()


def user() -> str:
    return f"webchat:{uuid.uuid4()}"


async def next_event(events: asyncio.Queue, timeout_s: float = 5) -> dict:
    return await asyncio.wait_for(events.get(), timeout_s)


async def queued(world, conversation_id: str, skill: Skill) -> None:
    await world.desk.request(conversation_id, skill)


async def test_the_least_loaded_agent_gets_the_user_and_both_are_told(world) -> None:
    wang = await world.agent("客服小王", Skill.ACCOUNT)
    li = await world.agent("客服小李", Skill.ACCOUNT)
    first, second, third = user(), user(), user()
    async with world.bus.listen(user_topic(first), agent_topic(wang)) as events:
        await queued(world, first, Skill.ACCOUNT)
        [made] = await world.board.dispatch([Skill.ACCOUNT])
        assert (made.conversation_id, made.agent_id) == (first, wang)  # idle longest
        greeting = await next_event(events)
        assigned = await next_event(events)
    [line] = greeting["messages"]
    assert (line["role"], line["sender_name"]) == ("agent", "客服小王")
    assert line["text"].startswith("您好，我是客服小王")
    conversation = await world.queue.read(first)
    assert (conversation.phase, conversation.agent) == (Phase.WITH_AGENT, wang)
    assert assigned == {"type": "assigned", "conversation_id": first, "chat": conversation.chat_id}

    await queued(world, second, Skill.ACCOUNT)
    await queued(world, third, Skill.ACCOUNT)
    made = await world.board.dispatch([Skill.ACCOUNT])
    # Second to the agent with no chat; third to the one idle longer of two with one each.
    assert [(m.conversation_id, m.agent_id) for m in made] == [(second, li), (third, wang)]
    assert await world.queue.chats_of(wang) == {first, third}


async def test_a_chat_from_the_first_word_to_the_rating(world) -> None:
    wang = await world.agent("客服小王", Skill.AIRPORT)
    other = await world.agent("客服小赵", Skill.AIRPORT, online=False)
    me = user()
    await world.hub.handle(InboundMessage(conversation_id=me, text="提交货预约提交不了"))
    await queued(world, me, Skill.AIRPORT)
    await world.board.dispatch([Skill.AIRPORT])

    async with world.bus.listen(agent_topic(wang), user_topic(me)) as events:
        # The user's words go to the agent only: no reply in the user's turn, none from Rasa.
        said = InboundMessage(conversation_id=me, text="车牌京A12345，预约一直提交失败")
        assert await world.hub.handle(said) == []
        heard = await next_event(events)
        assert heard["type"] == "message" and heard["conversation_id"] == me
        assert heard["message"]["text"] == "车牌京A12345，预约一直提交失败"
        assert heard["message"]["agent"] == wang

        await world.board.reply(wang, "客服小王", me, "请问提示什么错误？")
        answer = await next_event(events)
        assert [m["text"] for m in answer["messages"]] == ["请问提示什么错误？"]
        with pytest.raises(NotYourChat):
            await world.board.reply(other, "客服小赵", me, "我来答")
        with pytest.raises(NotYourChat):
            await world.board.close(other, me, Disposition.RESOLVED)

        chat = await world.board.close(wang, me, Disposition.RESOLVED)
        prompt = (await next_event(events))["messages"][0]
        closed = await next_event(events)
    assert chat.disposition is Disposition.RESOLVED and chat.closed_at is not None
    assert prompt["text"] == texts.RATE_TEXT
    assert [b["payload"] for b in prompt["buttons"]] == [f"/csat_{n}" for n in (5, 4, 3, 2, 1)]
    assert closed == {"type": "closed", "conversation_id": me}
    assert (await world.queue.read(me)).phase is Phase.RATING
    assert (await world.queue.agent(wang)).load == 0
    with pytest.raises(NotYourChat):
        await world.board.reply(wang, "客服小王", me, "还在吗")

    five = desk_buttons.RATING_BUTTONS[0]
    rated = await world.hub.handle(
        InboundMessage(conversation_id=me, text=five.title, payload=five.payload)
    )
    assert rated[0].text == texts.RATED_TEXT
    commented = await world.hub.handle(InboundMessage(conversation_id=me, text="很耐心，谢谢"))
    assert commented[0].text == texts.COMMENTED_TEXT
    assert (await world.chats.get(chat.id)).csat == 5
    # Back with the bot (which is down here, so its apology answers).
    back = await world.hub.handle(InboundMessage(conversation_id=me, text="你好"))
    assert back[-1].text == BOT_UNAVAILABLE_TEXT

    history = await world.transcripts.history(me, 50)
    agent_lines = [m for m in history if m.role is Role.AGENT]
    assert [m.sender_name for m in agent_lines] == ["客服小王", "客服小王"]
    # The number plate is not a personal number: kept. The user's line is marked with the agent.
    assert any(m.role is Role.USER and m.agent == wang and "京A12345" in m.text for m in history)


async def test_a_typed_rating_counts_and_a_question_instead_skips_it(world) -> None:
    wang = await world.agent("客服小王", Skill.OTHER)
    for reply, expected_score in (("4", 4), ("报关单怎么打印", None)):
        me = user()
        await queued(world, me, Skill.OTHER)
        await world.board.dispatch([Skill.OTHER])
        chat = await world.board.close(wang, me, Disposition.FOLLOW_UP)
        answer = await world.hub.handle(InboundMessage(conversation_id=me, text=reply))
        if expected_score is None:
            assert answer[-1].text == BOT_UNAVAILABLE_TEXT  # the question went to the bot
        assert (await world.chats.get(chat.id)).csat == expected_score


async def test_a_dropped_agents_users_go_back_to_the_head_of_the_line(world) -> None:
    wang = await world.agent("客服小王", Skill.CROSS_BORDER)
    served, waiting = user(), user()
    await queued(world, served, Skill.CROSS_BORDER)
    await world.board.dispatch([Skill.CROSS_BORDER])
    await world.queue.set_status(wang, AgentStatus.OFFLINE)
    await world.queue.enqueue(waiting, Skill.CROSS_BORDER)
    conversation = await world.queue.read(served)

    async with world.bus.listen(user_topic(served)) as events:
        assert await world.board.requeue_all(wang) == 1
        told = (await next_event(events))["messages"][0]
    assert told["text"] == texts.DROPPED_TEXT.format(position=1)
    assert [cid for cid, _ in await world.queue.waiting(Skill.CROSS_BORDER)] == [served, waiting]
    assert await world.queue.chats_of(wang) == set()
    assert (await world.queue.agent(wang)).load == 0
    chat = await world.chats.get(conversation.chat_id)
    assert chat.disposition is Disposition.DROPPED


async def test_a_user_requeued_while_their_chat_opens_is_not_greeted(world, monkeypatch) -> None:
    wang = await world.agent("客服小王", Skill.CROSS_BORDER)
    me = user()
    await queued(world, me, Skill.CROSS_BORDER)
    opening, opened = world.chats.open, []

    async def open_as_the_agent_drops_out(*args):
        # Meanwhile the round finds the agent gone and puts their users back (watch.py).
        await world.queue.set_status(wang, AgentStatus.OFFLINE)
        assert await world.queue.requeue(me, wang) == 1
        opened.append(await opening(*args))
        return opened[-1]

    monkeypatch.setattr(world.chats, "open", open_as_the_agent_drops_out)
    async with world.bus.listen(user_topic(me), agent_topic(wang)) as events:
        await world.board.dispatch([Skill.CROSS_BORDER])
        await asyncio.sleep(0.2)
        assert events.empty()  # no greeting, no "assigned" for a chat that is not there
    assert (await world.chats.get(opened[0].id)).disposition is Disposition.DROPPED
    assert (await world.queue.read(me)).phase is Phase.QUEUED


async def test_the_round_requeues_absent_agents_and_ends_long_waits(world) -> None:
    present = await world.agent("客服小王", Skill.DECLARATION)
    absent = await world.agent("客服小李", Skill.DECLARATION)
    for _ in range(2):
        await queued(world, user(), Skill.DECLARATION)
    await world.board.dispatch([Skill.DECLARATION])
    await world.queue.touch_presence(present, 60)
    long_waiter = user()
    two_hours_ago_ms = int(time.time() * 1000) - 7_200_000
    await world.queue.enqueue(long_waiter, Skill.AIRPORT, enqueued_ms=two_hours_ago_ms)
    watch = Watch(world.redis, world.queue, world.desk, world.board, interval_s=5, max_wait_s=1200)
    async with world.bus.listen(user_topic(long_waiter)) as events:
        assert await watch.round()
        offer = (await next_event(events))["messages"][0]
    assert offer["text"].startswith(texts.MAX_WAIT_TEXT)
    assert [b["payload"] for b in offer["buttons"]] == ["/leave_message", "/back_to_bot"]
    assert (await world.queue.read(long_waiter)).phase is Phase.MESSAGE_OFFERED

    # The absent agent's user went back to the queue and, in the same round, to the present one.
    assert (await world.queue.agent(absent)).status is AgentStatus.OFFLINE
    assert await world.queue.chats_of(absent) == set()
    assert len(await world.queue.chats_of(present)) == 2
    # Another process right after finds the round done.
    assert not await watch.round()


async def test_positions_are_announced_when_they_change_and_only_then(world, monkeypatch) -> None:
    monkeypatch.setattr(board_module, "POSITION_DEBOUNCE_S", 0.05)
    wang = await world.agent("客服小王", Skill.OTHER)
    await world.queue.register_agent(wang, [Skill.OTHER], capacity=1)
    users = [user() for _ in range(3)]
    for conversation_id in users:
        await queued(world, conversation_id, Skill.OTHER)  # told places 1, 2 and 3
    async with world.bus.listen(*map(user_topic, users[1:])) as events:
        await world.board.dispatch([Skill.OTHER])
        updates = {}
        for _ in range(2):
            [line] = (await next_event(events))["messages"]
            updates[line["conversation_id"]] = line["text"]
        await world.board.dispatch([Skill.OTHER])  # nothing moves: nobody is told again
        await world.board.drain()
        await asyncio.sleep(0.2)
        assert events.empty()
    assert updates == {
        users[1]: texts.POSITION_TEXT.format(ahead=0),
        users[2]: texts.POSITION_TEXT.format(ahead=1),
    }


async def test_events_cross_processes_and_stop_when_nobody_listens(redis_process) -> None:
    clients = [aioredis.from_url(redis_process.url, decode_responses=True) for _ in range(2)]
    here, there = Bus(clients[0]), Bus(clients[1])
    await here.start()
    await there.start()
    try:
        async with here.listen("conv:x") as first, here.listen("conv:x") as second:
            await there.publish("conv:x", {"type": "typing", "on": True})
            assert await next_event(first) == {"type": "typing", "on": True}
            assert await next_event(second) == {"type": "typing", "on": True}
        # Unsubscribing is not confirmed: give Redis a moment to process it.
        for _ in range(50):
            if await clients[1].pubsub_numsub("swa:bus:conv:x") == [("swa:bus:conv:x", 0)]:
                break
            await asyncio.sleep(0.02)
        else:
            pytest.fail("the topic is still subscribed after its last listener left")
    finally:
        await here.stop()
        await there.stop()
        for client in clients:
            await client.aclose()


async def test_a_chat_is_transferred_to_an_agent_or_a_skill_with_its_note(world) -> None:
    wang = await world.agent("客服小王", Skill.CROSS_BORDER)
    li = await world.agent("客服小李", Skill.CROSS_BORDER, Skill.ACCOUNT)
    busy = await world.agent("客服小赵", Skill.CROSS_BORDER, online=False)
    me = user()
    await world.queue.set_status(li, AgentStatus.AWAY)  # so that wang gets the user
    await queued(world, me, Skill.CROSS_BORDER)
    await world.board.dispatch([Skill.CROSS_BORDER])
    first_chat = (await world.queue.read(me)).chat_id

    assert not await world.board.transfer(wang, "客服小王", me, to_agent=busy, note="查税单")
    assert (await world.queue.read(me)).agent == wang  # nothing moved
    await world.queue.set_status(li, AgentStatus.ONLINE)
    async with world.bus.listen(user_topic(me), agent_topic(li), agent_topic(wang)) as events:
        assert await world.board.transfer(wang, "客服小王", me, to_agent=li, note="查税单")
        seen = [await next_event(events) for _ in range(4)]
    texts_seen = [e["messages"][0]["text"] for e in seen if e["type"] == "messages"]
    assert texts_seen[0] == texts.HANDED_OVER_TEXT
    assert texts_seen[1].startswith("您好，我是客服小李")
    assert {"type": "closed", "conversation_id": me} in seen
    assert any(e["type"] == "assigned" and e["conversation_id"] == me for e in seen)
    moved = await world.queue.read(me)
    assert (moved.agent, moved.note) == (li, "客服小王：查税单")
    assert (await world.chats.get(first_chat)).disposition is Disposition.TRANSFERRED
    assert (await world.queue.agent(wang)).load == 0
    assert (await world.queue.agent(li)).load == 1

    # Nobody serves the account skill right now but li, who is busy: the user waits at its head.
    await world.queue.set_status(li, AgentStatus.BUSY)
    assert await world.board.transfer(li, "客服小李", me, to_skill=Skill.ACCOUNT)
    assert [cid for cid, _ in await world.queue.waiting(Skill.ACCOUNT)] == [me]
    assert (await world.queue.agent(li)).load == 0
    with pytest.raises(NotYourChat):
        await world.board.transfer(li, "客服小李", me, to_skill=Skill.OTHER)


async def test_todays_figures_count_handled_abandoned_and_ratings(world) -> None:
    before = await world.stats.today()
    wang = await world.agent("客服小王", Skill.OTHER)
    li = await world.agent("客服小李", Skill.OTHER, online=False)
    rated, transferred, left = user(), user(), user()
    for conversation_id in (rated, transferred):
        await queued(world, conversation_id, Skill.OTHER)
    await world.board.dispatch([Skill.OTHER])
    chat = await world.board.close(wang, rated, Disposition.RESOLVED)
    await world.chats.rate(chat.id, 4)
    await world.queue.set_status(li, AgentStatus.ONLINE)
    assert await world.board.transfer(wang, "客服小王", transferred, to_agent=li)
    await queued(world, left, Skill.OTHER)
    assert await world.queue.cancel(left)

    after = await world.stats.today()
    assert after.handled - before.handled == 1  # the transfer is not a handled chat
    assert after.abandoned - before.abandoned == 1
    assert after.csat_count - before.csat_count == 1
    assert after.average_wait_s is not None and after.average_wait_s < 60
    assert (await world.queue.abandoned(world.stats.day()))[Skill.OTHER] >= 1
