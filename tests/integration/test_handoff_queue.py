"""The handoff queue on a real Redis: order, positions, assignment rules, atomicity."""

import asyncio

import pytest
import redis.asyncio as aioredis

from kernel.skills import Skill
from queue_service.handoff.queue import (
    DEFAULT_HANDLE_MS,
    AgentStatus,
    HandoffQueue,
    estimate_wait_s,
)


class FakeClock:
    """Seconds that only move when a test moves them."""

    def __init__(self) -> None:
        self.now = 1_764_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def queue(redis_client: aioredis.Redis, clock: FakeClock) -> HandoffQueue:
    return HandoffQueue(redis_client, clock)


async def online(queue: HandoffQueue, agent_id: str, *skills: Skill, capacity: int = 3) -> None:
    await queue.register_agent(agent_id, skills or tuple(Skill), capacity)
    await queue.set_status(agent_id, AgentStatus.ONLINE)


async def test_users_wait_in_arrival_order_and_see_their_position(queue, clock) -> None:
    for n in range(3):
        assert await queue.enqueue(f"webchat:u{n}", Skill.AIRPORT) == n + 1
        clock.advance(1)
    # Another skill has its own line.
    assert await queue.enqueue("webchat:x", Skill.ACCOUNT) == 1
    # Asking again (a second 转人工) keeps the place.
    assert await queue.enqueue("webchat:u1", Skill.AIRPORT) == 2

    assert await queue.cancel("webchat:u0")
    assert not await queue.cancel("webchat:u0")
    assert await queue.position("webchat:u1") == 1
    assert await queue.position("webchat:u2") == 2
    assert await queue.position("webchat:u0") is None
    assert [c for c, _ in await queue.waiting(Skill.AIRPORT)] == ["webchat:u1", "webchat:u2"]


async def test_a_user_put_back_goes_before_everyone_waiting(queue, clock) -> None:
    await queue.enqueue("webchat:a", Skill.OTHER)
    clock.advance(5)
    await queue.enqueue("webchat:b", Skill.OTHER)
    assert await queue.enqueue("webchat:dropped", Skill.OTHER, at_head=True) == 1
    assert await queue.position("webchat:a") == 2


async def test_nobody_is_popped_while_no_agent_can_take_them(queue) -> None:
    await queue.enqueue("webchat:u", Skill.CROSS_BORDER)
    assert await queue.assign_next(Skill.CROSS_BORDER) is None  # no agents at all

    await queue.register_agent("away", [Skill.CROSS_BORDER], capacity=3)
    await queue.set_status("away", AgentStatus.AWAY)
    await online(queue, "other-skill", Skill.AIRPORT)
    await online(queue, "full", Skill.CROSS_BORDER, capacity=0)
    assert await queue.assign_next(Skill.CROSS_BORDER) is None
    assert await queue.position("webchat:u") == 1

    await queue.set_status("away", AgentStatus.ONLINE)
    assignment = await queue.assign_next(Skill.CROSS_BORDER)
    assert (assignment.conversation_id, assignment.agent_id) == ("webchat:u", "away")
    assert await queue.position("webchat:u") is None
    assert await queue.enqueue("webchat:u", Skill.CROSS_BORDER) is None  # already served


async def test_least_loaded_agent_first_then_longest_idle(queue, clock) -> None:
    await online(queue, "ann")
    clock.advance(10)
    await online(queue, "bob")
    for n in range(4):
        await queue.enqueue(f"webchat:u{n}", Skill.DECLARATION)

    first = await queue.assign_next(Skill.DECLARATION)
    assert first.agent_id == "ann"  # both empty: ann has been idle longer
    clock.advance(1)
    second = await queue.assign_next(Skill.DECLARATION)
    assert second.agent_id == "bob"  # ann now has one chat
    clock.advance(1)
    third = await queue.assign_next(Skill.DECLARATION)
    assert third.agent_id == "ann"  # one each: ann's last chat started earlier
    assert [a.conversation_id for a in (first, second, third)] == [
        "webchat:u0",
        "webchat:u1",
        "webchat:u2",
    ]
    assert (await queue.agent("ann")).load == 2
    assert await queue.chats_of("ann") == {"webchat:u0", "webchat:u2"}


async def test_busy_agents_keep_their_chats_but_take_no_new_ones(queue) -> None:
    await online(queue, "ann")
    await queue.enqueue("webchat:u0", Skill.OTHER)
    await queue.enqueue("webchat:u1", Skill.OTHER)
    assert (await queue.assign_next(Skill.OTHER)).agent_id == "ann"
    await queue.set_status("ann", AgentStatus.BUSY)
    assert await queue.assign_next(Skill.OTHER) is None
    assert await queue.chats_of("ann") == {"webchat:u0"}


async def test_an_agent_never_passes_capacity(queue) -> None:
    await online(queue, "ann", capacity=2)
    for n in range(3):
        await queue.enqueue(f"webchat:u{n}", Skill.OTHER)
    assert await queue.assign_next(Skill.OTHER)
    assert await queue.assign_next(Skill.OTHER)
    assert await queue.assign_next(Skill.OTHER) is None
    assert await queue.position("webchat:u2") == 1


async def test_closing_frees_the_slot_and_feeds_the_handling_time(queue, clock) -> None:
    await online(queue, "ann", capacity=1)
    await queue.enqueue("webchat:u0", Skill.OTHER)
    await queue.enqueue("webchat:u1", Skill.OTHER)
    await queue.assign_next(Skill.OTHER)
    clock.advance(120)

    assert await queue.close("webchat:u0", "ann")
    assert not await queue.close("webchat:u0", "ann")
    assert (await queue.agent("ann")).load == 0
    expected = DEFAULT_HANDLE_MS * 0.9 + 120_000 * 0.1
    assert await queue.average_handle_s() == pytest.approx(expected / 1000, abs=0.001)
    assert (await queue.assign_next(Skill.OTHER)).conversation_id == "webchat:u1"


async def test_the_waited_time_is_reported_on_assignment(queue, clock) -> None:
    await queue.enqueue("webchat:u", Skill.OTHER)
    clock.advance(42)
    await online(queue, "ann")
    assert (await queue.assign_next(Skill.OTHER)).waited_ms == 42_000


async def test_two_agents_claiming_one_user_one_wins(redis_process, clock) -> None:
    clients = [aioredis.from_url(redis_process.url, decode_responses=True) for _ in range(2)]
    try:
        await clients[0].flushdb()
        ann, bob = (HandoffQueue(client, clock) for client in clients)
        await online(ann, "ann")
        await online(ann, "bob")
        await ann.enqueue("webchat:u", Skill.AIRPORT)
        results = await asyncio.gather(
            ann.claim("ann", "webchat:u"), bob.claim("bob", "webchat:u")
        )
        winners = [r.agent_id for r in results if r is not None]
        assert len(winners) == 1
        assert await ann.chats_of(winners[0]) == {"webchat:u"}
        loads = [(await ann.agent(agent_id)).load for agent_id in ("ann", "bob")]
        assert sorted(loads) == [0, 1]
    finally:
        for client in clients:
            await client.aclose()


async def test_a_claim_respects_skill_and_capacity(queue) -> None:
    await online(queue, "ann", Skill.AIRPORT, capacity=1)
    await queue.enqueue("webchat:u0", Skill.ACCOUNT)
    await queue.enqueue("webchat:u1", Skill.AIRPORT)
    await queue.enqueue("webchat:u2", Skill.AIRPORT)
    assert await queue.claim("ann", "webchat:u0") is None  # not her skill
    assert (await queue.claim("ann", "webchat:u2")).conversation_id == "webchat:u2"
    assert await queue.claim("ann", "webchat:u1") is None  # full
    assert await queue.position("webchat:u1") == 1


async def test_concurrent_assigners_serve_everyone_exactly_once(redis_process, clock) -> None:
    clients = [aioredis.from_url(redis_process.url, decode_responses=True) for _ in range(4)]
    try:
        await clients[0].flushdb()
        queues = [HandoffQueue(client, clock) for client in clients]
        agents = [f"agent{n}" for n in range(10)]
        for agent_id in agents:
            await online(queues[0], agent_id, capacity=20)
        users = [f"webchat:u{n}" for n in range(250)]
        for user in users:
            await queues[0].enqueue(user, Skill.DECLARATION)

        async def drain(queue: HandoffQueue) -> list:
            taken = []
            while (assignment := await queue.assign_next(Skill.DECLARATION)) is not None:
                taken.append(assignment)
            return taken

        batches = await asyncio.gather(*(drain(q) for q in queues))
        served = [a.conversation_id for batch in batches for a in batch]
        assert sorted(served) == sorted(users[:200])  # 10 agents x 20 slots
        assert len(served) == len(set(served))
        loads = [(await queues[0].agent(a)).load for a in agents]
        assert loads == [20] * 10
        assert [c for c, _ in await queues[0].waiting(Skill.DECLARATION)] == users[200:]
    finally:
        for client in clients:
            await client.aclose()


async def test_online_capacity_counts_online_agents_of_the_skill(queue) -> None:
    assert await queue.online_capacity(Skill.AIRPORT) == 0
    await online(queue, "ann", Skill.AIRPORT, capacity=2)
    await online(queue, "bob", Skill.AIRPORT, capacity=3)
    await online(queue, "cai", Skill.ACCOUNT, capacity=3)
    await queue.register_agent("dai", [Skill.AIRPORT], capacity=3)  # offline
    assert await queue.online_capacity(Skill.AIRPORT) == 5
    assert await queue.average_handle_s() == DEFAULT_HANDLE_MS / 1000


def test_estimate_rounds_up_and_needs_capacity() -> None:
    assert estimate_wait_s(1, 3, 100.0) == 34
    assert estimate_wait_s(5, 0, 100.0) is None
