"""The conversation's phase machine on a real Redis: every transition from every phase, allowed
or refused; the close that asks for the rating in the same step; and the races that matter."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import pytest
import redis.asyncio as aioredis

from kernel.clock import CHINA_TZ
from kernel.skills import Skill
from queue_service.handoff.phases import DESK_TTL_S, Conversation, Phase
from queue_service.handoff.queue import AgentStatus, HandoffQueue

NOW_S = 1_764_000_000.0
NOW_MS = int(NOW_S * 1000)
CID = "webchat:u"
ANN, BOB = "ann", "bob"
CHAT = 7
TEXT = "报关单状态一直是制作中"


@pytest.fixture
async def queue(redis_client: aioredis.Redis) -> HandoffQueue:
    """Ann and Bob online for the airport skill, Ann idle longer; the clock stands still."""
    queue = HandoffQueue(redis_client, lambda: NOW_S)
    for agent_id in (ANN, BOB):
        await queue.register_agent(agent_id, [Skill.AIRPORT, Skill.ACCOUNT], capacity=3)
    await queue.set_status(ANN, AgentStatus.ONLINE)
    await HandoffQueue(redis_client, lambda: NOW_S + 1).set_status(BOB, AgentStatus.ONLINE)
    return queue


async def put_in(queue: HandoffQueue, phase: Phase) -> None:
    """Bring the conversation to `phase` by the transitions that lead there in production."""
    if phase in (Phase.QUEUED, Phase.WITH_AGENT, Phase.RATING, Phase.COMMENT):
        assert await queue.enqueue(CID, Skill.AIRPORT) == 1
    if phase in (Phase.WITH_AGENT, Phase.RATING, Phase.COMMENT):
        assert await queue.claim(ANN, CID)
        assert await queue.set_chat(CID, ANN, CHAT)
    if phase in (Phase.RATING, Phase.COMMENT):
        assert await queue.close(CID, ANN)
    if phase is Phase.COMMENT:
        assert await queue.rate(CID)
    if phase in (Phase.MESSAGE_OFFERED, Phase.MESSAGE_TEXT, Phase.MESSAGE_CONTACT):
        assert await queue.offer(CID, Skill.AIRPORT)
    if phase in (Phase.MESSAGE_TEXT, Phase.MESSAGE_CONTACT):
        assert await queue.write(CID, Skill.AIRPORT)
    if phase is Phase.MESSAGE_CONTACT:
        assert await queue.give_text(CID, TEXT)
    assert (await queue.read(CID)).phase is phase


@asynccontextmanager
async def racers(redis_process, count: int) -> AsyncIterator[list[HandoffQueue]]:
    """Service processes of their own: each on its own Redis connection."""
    connections = [
        aioredis.from_url(redis_process.url, decode_responses=True) for _ in range(count)
    ]
    try:
        yield [HandoffQueue(connection, lambda: NOW_S) for connection in connections]
    finally:
        for connection in connections:
            await connection.aclose()


Transition = Callable[[HandoffQueue], Awaitable[object]]

TRANSITIONS: dict[str, Transition] = {
    "enqueue": lambda q: q.enqueue(CID, Skill.ACCOUNT),
    "cancel": lambda q: q.cancel(CID),
    "time_out": lambda q: q.time_out(CID),
    "assign_next": lambda q: q.assign_next(Skill.AIRPORT),
    "claim": lambda q: q.claim(BOB, CID),
    "hand_over": lambda q: q.hand_over(CID, ANN, BOB, "安：查税单"),
    "requeue": lambda q: q.requeue(CID, ANN, Skill.ACCOUNT, "安：转账号"),
    "close": lambda q: q.close(CID, ANN),
    "set_chat": lambda q: q.set_chat(CID, ANN, CHAT + 1),
    "tell_position": lambda q: q.tell_position(CID, 5),
    "offer": lambda q: q.offer(CID, Skill.ACCOUNT),
    "write": lambda q: q.write(CID, Skill.OTHER),
    "give_text": lambda q: q.give_text(CID, "卡介质登录一直报错"),
    "rate": lambda q: q.rate(CID),
    "back_to_bot": lambda q: q.back_to_bot(CID),
}

BOT = Conversation(CID, Phase.BOT)
WAITING = Conversation(CID, Phase.QUEUED, Skill.AIRPORT, NOW_MS)
SERVED = Conversation(CID, Phase.WITH_AGENT, Skill.AIRPORT, NOW_MS, ANN, CHAT)
AT_DESK = (Phase.MESSAGE_OFFERED, Phase.MESSAGE_TEXT, Phase.MESSAGE_CONTACT)
AT_DESK += (Phase.RATING, Phase.COMMENT)

# Per transition, the phases it is allowed from and the conversation after it. From any other
# phase it is refused and writes nothing at all.
ALLOWED: dict[str, dict[Phase, Conversation]] = {
    "enqueue": {
        Phase.QUEUED: WAITING,  # already waiting: the place is kept
        **dict.fromkeys(
            (Phase.BOT, *AT_DESK), Conversation(CID, Phase.QUEUED, Skill.ACCOUNT, NOW_MS)
        ),
    },
    "cancel": {Phase.QUEUED: BOT},
    "time_out": {Phase.QUEUED: Conversation(CID, Phase.MESSAGE_OFFERED, Skill.AIRPORT)},
    "assign_next": {Phase.QUEUED: Conversation(CID, Phase.WITH_AGENT, Skill.AIRPORT, NOW_MS, ANN)},
    "claim": {Phase.QUEUED: Conversation(CID, Phase.WITH_AGENT, Skill.AIRPORT, NOW_MS, BOB)},
    "hand_over": {
        Phase.WITH_AGENT: Conversation(
            CID, Phase.WITH_AGENT, Skill.AIRPORT, NOW_MS, BOB, note="安：查税单"
        )
    },
    "requeue": {
        Phase.WITH_AGENT: Conversation(CID, Phase.QUEUED, Skill.ACCOUNT, NOW_MS, note="安：转账号")
    },
    "close": {Phase.WITH_AGENT: Conversation(CID, Phase.RATING, chat_id=CHAT)},
    "set_chat": {
        Phase.WITH_AGENT: Conversation(CID, Phase.WITH_AGENT, Skill.AIRPORT, NOW_MS, ANN, CHAT + 1)
    },
    "tell_position": {Phase.QUEUED: WAITING},
    "offer": dict.fromkeys(
        (Phase.BOT, *AT_DESK), Conversation(CID, Phase.MESSAGE_OFFERED, Skill.ACCOUNT)
    ),
    "write": dict.fromkeys(
        (Phase.BOT, Phase.MESSAGE_OFFERED), Conversation(CID, Phase.MESSAGE_TEXT, Skill.OTHER)
    ),
    "give_text": {
        Phase.MESSAGE_TEXT: Conversation(
            CID, Phase.MESSAGE_CONTACT, Skill.AIRPORT, text="卡介质登录一直报错"
        )
    },
    "rate": {Phase.RATING: Conversation(CID, Phase.COMMENT, chat_id=CHAT)},
    "back_to_bot": dict.fromkeys(AT_DESK, BOT),
}


async def everything(redis: aioredis.Redis) -> dict[str, object]:
    """Every key with its value and time to live: what a refused transition must not change."""
    stored: dict[str, object] = {}
    for key in await redis.keys("*"):
        kind = await redis.type(key)
        if kind == "hash":
            value = await redis.hgetall(key)
        elif kind == "zset":
            value = await redis.zrange(key, 0, -1, withscores=True)
        elif kind == "set":
            value = await redis.smembers(key)
        else:
            value = await redis.get(key)
        ttl = await redis.ttl(key)
        stored[key] = (value, "expires" if ttl > 0 else ttl)  # the seconds left tick on
    return stored


def test_the_matrix_names_every_transition_and_phase() -> None:
    assert ALLOWED.keys() == TRANSITIONS.keys()
    assert set(AT_DESK) | {Phase.BOT, Phase.QUEUED, Phase.WITH_AGENT} == set(Phase)


@pytest.mark.parametrize("phase", list(Phase))
@pytest.mark.parametrize("transition", list(TRANSITIONS))
async def test_every_transition_from_every_phase(
    queue: HandoffQueue, redis_client: aioredis.Redis, transition: str, phase: Phase
) -> None:
    await put_in(queue, phase)
    before = await everything(redis_client)

    result = await TRANSITIONS[transition](queue)

    after = await queue.read(CID)
    expected = ALLOWED[transition].get(phase)
    if expected is None:
        assert not result  # refused: None or False, as each method says
        assert after.phase is phase
        assert await everything(redis_client) == before
        return
    assert result
    assert after == expected
    ttl = await redis_client.ttl(f"swa:{{hq}}:conv:{CID}")
    if after.phase is Phase.BOT:
        assert ttl == -2  # no record
    elif after.phase.handed_over:
        assert ttl == -1  # waiting or served: kept until it ends
    else:
        assert 0 < ttl <= DESK_TTL_S  # at the desk: back to the bot after a silence


async def phases_until_it_leaves(watcher: HandoffQueue, phase: Phase) -> list[Phase]:
    """The phases a reader sees, read after read, until the conversation leaves `phase`."""
    seen = [(await watcher.read(CID)).phase]
    while seen[-1] is phase:
        seen.append((await watcher.read(CID)).phase)
    return seen


async def test_closing_frees_the_agent_and_asks_for_the_rating_in_one_step(
    queue: HandoffQueue, redis_process
) -> None:
    async with racers(redis_process, 1) as [watcher]:
        for _ in range(30):
            await put_in(queue, Phase.WITH_AGENT)
            seen, closed = await asyncio.gather(
                phases_until_it_leaves(watcher, Phase.WITH_AGENT), queue.close(CID, ANN)
            )
            assert closed
            # A reader never finds the user with the bot between the agent and the rating.
            assert set(seen) <= {Phase.WITH_AGENT, Phase.RATING}
            assert seen[-1] is Phase.RATING
            assert await queue.chats_of(ANN) == set()
            assert (await queue.agent(ANN)).load == 0
            assert await queue.back_to_bot(CID)


async def test_closing_a_chat_without_its_row_yet_goes_straight_back_to_the_bot(queue) -> None:
    await queue.enqueue(CID, Skill.AIRPORT)
    await queue.claim(ANN, CID)
    assert await queue.close(CID, ANN)  # nothing to rate
    assert (await queue.read(CID)).phase is Phase.BOT
    assert (await queue.agent(ANN)).load == 0


async def test_leaving_the_queue_counts_as_abandoned_either_way(queue) -> None:
    for leave in (queue.cancel, queue.time_out):
        await queue.enqueue(CID, Skill.AIRPORT)
        assert await leave(CID)
        assert await queue.waiting(Skill.AIRPORT) == []
    today = datetime.fromtimestamp(NOW_S, CHINA_TZ).date()
    assert (await queue.abandoned(today))[Skill.AIRPORT] == 2


async def test_a_record_written_before_the_phase_machine_reads_and_closes(
    queue: HandoffQueue, redis_client: aioredis.Redis
) -> None:
    # The layout of a served user before this change: conversations in flight keep going.
    await redis_client.hset(
        f"swa:{{hq}}:conv:{CID}",
        mapping={"state": "assigned", "skill": "airport", "enqueued_ms": NOW_MS, "agent": ANN},
    )
    await redis_client.hset(f"swa:{{hq}}:conv:{CID}", mapping={"assigned_ms": NOW_MS, "chat": 3})
    assert await queue.read(CID) == Conversation(
        CID, Phase.WITH_AGENT, Skill.AIRPORT, NOW_MS, ANN, 3
    )
    assert await queue.close(CID, ANN)
    assert await queue.read(CID) == Conversation(CID, Phase.RATING, chat_id=3)


async def test_many_agents_claiming_one_user_one_wins(queue, redis_process) -> None:
    agents = [f"agent{n}" for n in range(8)]
    for agent_id in agents:
        await queue.register_agent(agent_id, [Skill.AIRPORT], capacity=1)
        await queue.set_status(agent_id, AgentStatus.ONLINE)
    await queue.enqueue(CID, Skill.AIRPORT)
    async with racers(redis_process, len(agents)) as racing:
        results = await asyncio.gather(
            *(q.claim(agent_id, CID) for q, agent_id in zip(racing, agents, strict=True))
        )
    [winner] = [r.agent_id for r in results if r is not None]
    assert (await queue.read(CID)).agent == winner
    assert [(await queue.agent(a)).load for a in agents].count(1) == 1
    assert await queue.waiting(Skill.AIRPORT) == []


@pytest.mark.parametrize("leave", ["cancel", "time_out"])
async def test_leaving_the_queue_races_an_assignment_and_one_wins(
    queue, redis_process, leave: str
) -> None:
    async with racers(redis_process, 2) as (user, assigner):
        for _ in range(20):
            await put_in(queue, Phase.QUEUED)
            left, assignment = await asyncio.gather(
                getattr(user, leave)(CID), assigner.assign_next(Skill.AIRPORT)
            )
            assert left != (assignment is not None)
            after = await queue.read(CID)
            load = (await queue.agent(ANN)).load
            if left:
                assert load == 0
                assert after.phase is (Phase.BOT if leave == "cancel" else Phase.MESSAGE_OFFERED)
            else:
                assert (after.phase, after.agent, load) == (Phase.WITH_AGENT, ANN, 1)
                assert await queue.close(CID, ANN)
            await queue.back_to_bot(CID)
            assert await queue.waiting(Skill.AIRPORT) == []


async def test_a_close_racing_a_requeue_of_a_dropped_agent_one_wins(queue, redis_process) -> None:
    async with racers(redis_process, 2) as (agent, round_):
        for _ in range(20):
            await put_in(queue, Phase.WITH_AGENT)
            closed, position = await asyncio.gather(agent.close(CID, ANN), round_.requeue(CID, ANN))
            assert closed != (position is not None)
            after = await queue.read(CID)
            assert after.phase is (Phase.RATING if closed else Phase.QUEUED)
            assert (await queue.agent(ANN)).load == 0
            if closed:
                await queue.back_to_bot(CID)
            else:
                await queue.cancel(CID)
