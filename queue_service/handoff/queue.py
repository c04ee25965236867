"""The handoff queue in Redis: the agents who serve it, the waiting lines, and their figures.

Who waits where and who serves whom changes only through the conversation's transitions
(queue_service/handoff/phases.py: enqueue, assign, claim, cancel, close...), each one Lua
script, so that two agents never get the same user, a user is popped only when an agent takes
them (nobody is skipped), and an agent's load never passes their capacity. `HandoffQueue` adds
what belongs to the agents and the lines. All keys share the hash tag ``{hq}``.

Layout (prefix ``swa:{hq}:``), beside the keys phases.py describes:
  agent:<id>           hash: status, capacity, load, idle_since_ms
  skill-agents:<skill> set of agent ids who serve the skill
  presence:<id>        set while one of the agent's consoles is connected (expires after the
                       grace period once none is)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from redis.asyncio import Redis

from kernel.skills import Skill
from queue_service.handoff.phases import DEFAULT_HANDLE_MS, PREFIX, Phases, hq_key


class AgentStatus(StrEnum):
    ONLINE = "online"  # takes new chats
    BUSY = "busy"  # keeps their chats, takes no new ones
    AWAY = "away"
    OFFLINE = "offline"


@dataclass(frozen=True)
class SkillFigures:
    """A skill's line as a supervisor sees it."""

    waiting: int
    # When the user first in line was queued (ms); None with nobody waiting.
    head_enqueued_ms: int | None
    agents_online: int
    capacity_online: int


@dataclass(frozen=True)
class Agent:
    id: str
    status: AgentStatus
    capacity: int
    load: int


# KEYS: agents of the skill. Returns {summed capacity, count, summed free slots} of the skill's
# online agents.
_ONLINE_CAPACITY = f"""
local prefix = '{PREFIX}'
local total, agents, free = 0, 0, 0
for _, aid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local a = redis.call('HMGET', prefix .. 'agent:' .. aid, 'status', 'capacity', 'load')
  if a[1] == 'online' then
    local capacity = tonumber(a[2]) or 0
    total, agents = total + capacity, agents + 1
    free = free + math.max(0, capacity - (tonumber(a[3]) or 0))
  end
end
return {{total, agents, free}}
"""


def estimate_wait_s(position: int, online_capacity: int, average_handle_s: float) -> int | None:
    """Seconds until a user at `position` is served, or None when nobody online can serve.

    Rocket.Chat's estimate (position x average handling time) divided by the online capacity:
    ten agents with three chats each free a slot thirty times as often as one agent does.
    """
    if online_capacity <= 0:
        return None
    return math.ceil(position * average_handle_s / online_capacity)


class HandoffQueue(Phases):
    """The conversations' transitions (Phases), the agents and the lines; `clock` returns
    seconds (injectable for tests)."""

    def __init__(self, redis: Redis, clock: Callable[[], float] = time.time) -> None:
        super().__init__(redis, clock)
        self._online_capacity = redis.register_script(_ONLINE_CAPACITY)

    async def waiting(self, skill: Skill) -> list[tuple[str, int]]:
        """The skill's waiting users, first first, with their place in time (ms)."""
        members = await self._redis.zrange(hq_key("queue", skill), 0, -1, withscores=True)
        return [(member, int(score) // 1000) for member, score in members]

    # Agents

    async def register_agent(self, agent_id: str, skills: Iterable[Skill], capacity: int) -> None:
        """Set which skills an agent serves and how many chats they take at once."""
        wanted = set(skills)
        async with self._redis.pipeline(transaction=True) as pipe:
            for skill in Skill:
                key = hq_key("skill-agents", skill)
                if skill in wanted:
                    pipe.sadd(key, agent_id)
                else:
                    pipe.srem(key, agent_id)
            pipe.hset(hq_key("agent", agent_id), mapping={"capacity": capacity})
            pipe.hsetnx(hq_key("agent", agent_id), "status", AgentStatus.OFFLINE.value)
            pipe.hsetnx(hq_key("agent", agent_id), "load", 0)
            await pipe.execute()

    async def set_status(self, agent_id: str, status: AgentStatus) -> None:
        fields: dict[str, str | int] = {"status": status.value}
        if status is AgentStatus.ONLINE:
            # Coming online counts as the start of idleness for the longest-idle tie-break.
            current = await self._redis.hget(hq_key("agent", agent_id), "status")
            if current != AgentStatus.ONLINE:
                fields["idle_since_ms"] = self._now_ms()
        await self._redis.hset(hq_key("agent", agent_id), mapping=fields)

    async def agent(self, agent_id: str) -> Agent | None:
        status, capacity, load = await self._redis.hmget(
            hq_key("agent", agent_id), "status", "capacity", "load"
        )
        if status is None:
            return None
        return Agent(agent_id, AgentStatus(status), int(capacity or 0), int(load or 0))

    async def chats_of(self, agent_id: str) -> set[str]:
        return set(await self._redis.smembers(hq_key("agent-chats", agent_id)))

    async def agent_ids(self) -> set[str]:
        """Every agent registered for any skill."""
        return set(await self._redis.sunion([hq_key("skill-agents", s) for s in Skill]))

    async def touch_presence(self, agent_id: str, ttl_s: int) -> None:
        await self._redis.set(hq_key("presence", agent_id), 1, ex=ttl_s)

    async def present(self, agent_id: str) -> bool:
        return bool(await self._redis.exists(hq_key("presence", agent_id)))

    async def skills_of(self, agent_id: str) -> list[Skill]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for skill in Skill:
                pipe.sismember(hq_key("skill-agents", skill), agent_id)
            member = await pipe.execute()
        return [skill for skill, served in zip(Skill, member, strict=True) if served]

    # Estimates

    async def online_capacity(self, skill: Skill) -> int:
        return (await self.online_slots(skill))[0]

    async def online_slots(self, skill: Skill) -> tuple[int, int]:
        """The skill's online agents' summed capacity, and how many of those slots are free."""
        capacity, _, free = await self._online_capacity(keys=[hq_key("skill-agents", skill)])
        return int(capacity), int(free)

    async def figures(self, skill: Skill) -> SkillFigures:
        queue = hq_key("queue", skill)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zcard(queue)
            pipe.zrange(queue, 0, 0)
            waiting, head = await pipe.execute()
        head_enqueued = (await self.read(head[0])).enqueued_ms if head else None
        capacity, agents, _ = await self._online_capacity(keys=[hq_key("skill-agents", skill)])
        return SkillFigures(int(waiting), head_enqueued, int(agents), int(capacity))

    async def agents_by_status(self) -> dict[AgentStatus, int]:
        """How many registered agents are online, busy, away and offline."""
        agent_ids = await self.agent_ids()
        async with self._redis.pipeline(transaction=False) as pipe:
            for agent_id in agent_ids:
                pipe.hget(hq_key("agent", agent_id), "status")
            statuses = await pipe.execute()
        counts = dict.fromkeys(AgentStatus, 0)
        for status in statuses:
            counts[AgentStatus(status or AgentStatus.OFFLINE)] += 1
        return counts

    async def average_handle_s(self) -> float:
        stored = await self._redis.get(hq_key("handle-ms"))
        return int(stored or DEFAULT_HANDLE_MS) / 1000
