"""The handoff queue in Redis: users waiting per skill, agents with capacity, atomic assignment.

Every change of who-waits-where or who-serves-whom is one Lua script, so that any number of
service processes can enqueue, assign and close at once: two agents never get the same user, a
user is popped only when an agent takes them (nobody is skipped), and an agent's load never
passes their capacity. All keys share the hash tag ``{hq}``, so the scripts also run on one slot
of a Redis Cluster.

Layout (prefix ``swa:{hq}:``):
  queue:<skill>        sorted set: conversation id -> score (enqueue time in ms x 1000 plus a
                       sequence number, so arrivals within one millisecond keep their order)
  conv:<id>            hash: state (queued | assigned), skill, enqueued_ms, agent, assigned_ms,
                       chat (the SQL chat row of the assignment), told (the position the user
                       was last told), note (from the agent who transferred the user)
  agent:<id>           hash: status, capacity, load, idle_since_ms
  skill-agents:<skill> set of agent ids who serve the skill
  agent-chats:<id>     set of conversation ids the agent is serving
  handle-ms            recent average handling time (exponential moving average)
  seq                  the arrival counter behind the scores
  abandoned:<day>      hash: skill -> users who left the queue without an agent that day
  presence:<id>        set while one of the agent's consoles is connected (expires after the
                       grace period once none is)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from redis.asyncio import Redis

from kernel.clock import CHINA_TZ
from kernel.skills import Skill

PREFIX = "swa:{hq}:"
# Until chats have been closed, estimates assume five minutes per chat.
DEFAULT_HANDLE_MS = 300_000
# Weight of the newest closed chat in the average handling time.
HANDLE_TIME_WEIGHT = 0.1


class ConversationState(StrEnum):
    """Where a handed-over user is; no state means they are with the bot."""

    QUEUED = "queued"
    ASSIGNED = "assigned"


class AgentStatus(StrEnum):
    ONLINE = "online"  # takes new chats
    BUSY = "busy"  # keeps their chats, takes no new ones
    AWAY = "away"
    OFFLINE = "offline"


@dataclass(frozen=True)
class Assignment:
    conversation_id: str
    agent_id: str
    skill: Skill
    waited_ms: int


@dataclass(frozen=True)
class SkillFigures:
    """A skill's line as a supervisor sees it."""

    waiting: int
    # When the user first in line was queued (ms); None with nobody waiting.
    head_enqueued_ms: int | None
    agents_online: int
    capacity_online: int


@dataclass(frozen=True)
class Conversation:
    """A handed-over user as the queue knows them."""

    id: str
    state: ConversationState
    skill: Skill
    enqueued_ms: int
    agent: str | None
    chat_id: int | None
    note: str | None = None


@dataclass(frozen=True)
class Agent:
    id: str
    status: AgentStatus
    capacity: int
    load: int


def _key(*parts: str) -> str:
    return PREFIX + ":".join(parts)


def _abandoned_key(day: date) -> str:
    return _key("abandoned", day.isoformat())


def _lua(body: str) -> str:
    """A script's source with `prefix` bound to the key prefix."""
    return f"local prefix = '{PREFIX}'\n{body}"


def _lua_taking(body: str) -> str:
    """A script that assigns users, with the shared `take` and `available` functions."""
    return _lua(_TAKE + body)


# Shared by the assigning scripts: hand `cid`, waiting for `skill`, to agent `aid`.
# `now` is the ARGV string (stored as given), its arithmetic done on tonumber(now).
_TAKE = """
local function take(cid, skill, aid, now)
  local conv = prefix .. 'conv:' .. cid
  local enqueued = tonumber(redis.call('HGET', conv, 'enqueued_ms')) or tonumber(now)
  redis.call('ZREM', prefix .. 'queue:' .. skill, cid)
  redis.call('HSET', conv, 'state', 'assigned', 'agent', aid, 'assigned_ms', now)
  redis.call('HINCRBY', prefix .. 'agent:' .. aid, 'load', 1)
  redis.call('HSET', prefix .. 'agent:' .. aid, 'idle_since_ms', now)
  redis.call('SADD', prefix .. 'agent-chats:' .. aid, cid)
  return {cid, aid, skill, tostring(tonumber(now) - enqueued)}
end
local function available(aid)
  local a = redis.call('HMGET', prefix .. 'agent:' .. aid,
                       'status', 'capacity', 'load', 'idle_since_ms')
  if a[1] ~= 'online' then return nil end
  local capacity, load = tonumber(a[2]) or 0, tonumber(a[3]) or 0
  if load >= capacity then return nil end
  return load, tonumber(a[4]) or 0
end
"""

# KEYS: conv hash, queue of the skill. ARGV: cid, skill, enqueued_ms, at_head.
# Returns the 1-based position, or -1 when the conversation is already with an agent.
_ENQUEUE = _lua("""
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'assigned' then return -1 end
if state == 'queued' then
  local queue = prefix .. 'queue:' .. redis.call('HGET', KEYS[1], 'skill')
  local rank = redis.call('ZRANK', queue, ARGV[1])
  if rank then return rank + 1 end
end
local score = tonumber(ARGV[3]) * 1000 + redis.call('INCR', prefix .. 'seq') % 1000
if ARGV[4] == '1' then
  local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if #head > 0 then score = math.min(score, tonumber(head[2]) - 1) end
end
redis.call('ZADD', KEYS[2], score, ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'queued', 'skill', ARGV[2], 'enqueued_ms', ARGV[3])
return redis.call('ZRANK', KEYS[2], ARGV[1]) + 1
""")

# KEYS: queue of the skill, agents of the skill. ARGV: skill, now_ms.
# The head of the queue goes to the least-loaded online agent under capacity; among equals,
# the one idle longest (then the smallest id, so the choice is reproducible).
_ASSIGN_NEXT = _lua_taking("""
local head = redis.call('ZRANGE', KEYS[1], 0, 0)
if #head == 0 then return nil end
local best, best_load, best_idle
for _, aid in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local load, idle = available(aid)
  if load and (best == nil or load < best_load
      or (load == best_load and (idle < best_idle or (idle == best_idle and aid < best)))) then
    best, best_load, best_idle = aid, load, idle
  end
end
if best == nil then return nil end
return take(head[1], ARGV[1], best, ARGV[2])
""")

# KEYS: conv hash. ARGV: cid, aid, now_ms. An agent picks a waiting user (manual skills).
_CLAIM = _lua_taking("""
if redis.call('HGET', KEYS[1], 'state') ~= 'queued' then return nil end
local skill = redis.call('HGET', KEYS[1], 'skill')
if redis.call('SISMEMBER', prefix .. 'skill-agents:' .. skill, ARGV[2]) == 0 then return nil end
if not available(ARGV[2]) then return nil end
return take(ARGV[1], skill, ARGV[2], ARGV[3])
""")

# KEYS: conv hash, the day's abandoned counts. ARGV: cid. Removes a waiting user, counting
# them as abandoned for their skill; returns 1 if they were waiting.
_CANCEL = _lua("""
if redis.call('HGET', KEYS[1], 'state') ~= 'queued' then return 0 end
local skill = redis.call('HGET', KEYS[1], 'skill')
redis.call('ZREM', prefix .. 'queue:' .. skill, ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('HINCRBY', KEYS[2], skill, 1)
redis.call('EXPIRE', KEYS[2], 8 * 86400)
return 1
""")

# KEYS: conv hash. ARGV: cid, aid, skill or ''. The agent's user goes back to waiting, at the
# head of their queue (or of another skill's, a transfer), keeping their first enqueue time.
# Returns the 1-based position, or nil when the user is not with that agent (any more).
_REQUEUE = _lua("""
if redis.call('HGET', KEYS[1], 'state') ~= 'assigned' then return nil end
if redis.call('HGET', KEYS[1], 'agent') ~= ARGV[2] then return nil end
local agent = prefix .. 'agent:' .. ARGV[2]
if (tonumber(redis.call('HGET', agent, 'load')) or 0) > 0 then
  redis.call('HINCRBY', agent, 'load', -1)
end
redis.call('SREM', prefix .. 'agent-chats:' .. ARGV[2], ARGV[1])
local skill = ARGV[3]
if skill == '' then skill = redis.call('HGET', KEYS[1], 'skill') end
local queue = prefix .. 'queue:' .. skill
local score = tonumber(redis.call('HGET', KEYS[1], 'enqueued_ms')) * 1000
local head = redis.call('ZRANGE', queue, 0, 0, 'WITHSCORES')
if #head > 0 then score = math.min(score, tonumber(head[2]) - 1) end
redis.call('ZADD', queue, score, ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'queued', 'skill', skill)
redis.call('HDEL', KEYS[1], 'agent', 'assigned_ms', 'chat', 'told')
return redis.call('ZRANK', queue, ARGV[1]) + 1
""")

# KEYS: conv hash. ARGV: cid, from aid, to aid, now_ms. A chat handed from one agent straight to
# another, who must be online with a free slot. Returns the assignment, or nil.
_HAND_OVER = _lua_taking("""
if redis.call('HGET', KEYS[1], 'state') ~= 'assigned' then return nil end
if redis.call('HGET', KEYS[1], 'agent') ~= ARGV[2] or ARGV[2] == ARGV[3] then return nil end
if not available(ARGV[3]) then return nil end
local from = prefix .. 'agent:' .. ARGV[2]
if (tonumber(redis.call('HGET', from, 'load')) or 0) > 0 then
  redis.call('HINCRBY', from, 'load', -1)
end
redis.call('SREM', prefix .. 'agent-chats:' .. ARGV[2], ARGV[1])
redis.call('HDEL', KEYS[1], 'chat')
return take(ARGV[1], redis.call('HGET', KEYS[1], 'skill'), ARGV[3], ARGV[4])
""")

# KEYS: conv hash, handle-time key. ARGV: cid, now_ms, default handle ms, weight.
# Ends an agent's chat: frees the agent's slot, folds the chat's length into the average.
_RELEASE = _lua("""
if redis.call('HGET', KEYS[1], 'state') ~= 'assigned' then return nil end
local aid = redis.call('HGET', KEYS[1], 'agent')
local now = tonumber(ARGV[2])
local handled = now - (tonumber(redis.call('HGET', KEYS[1], 'assigned_ms')) or now)
local agent = prefix .. 'agent:' .. aid
if (tonumber(redis.call('HGET', agent, 'load')) or 0) > 0 then
  redis.call('HINCRBY', agent, 'load', -1)
end
redis.call('HSET', agent, 'idle_since_ms', ARGV[2])
redis.call('SREM', prefix .. 'agent-chats:' .. aid, ARGV[1])
redis.call('DEL', KEYS[1])
local average = tonumber(redis.call('GET', KEYS[2])) or tonumber(ARGV[3])
local weight = tonumber(ARGV[4])
redis.call('SET', KEYS[2], math.floor(average * (1 - weight) + handled * weight))
return aid
""")

# KEYS: agents of the skill. Returns {summed capacity, count} of the skill's online agents.
_ONLINE_CAPACITY = _lua("""
local total, agents = 0, 0
for _, aid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local a = redis.call('HMGET', prefix .. 'agent:' .. aid, 'status', 'capacity')
  if a[1] == 'online' then
    total, agents = total + (tonumber(a[2]) or 0), agents + 1
  end
end
return {total, agents}
""")


def _assignment(reply: list[str] | None) -> Assignment | None:
    if not reply:
        return None
    conversation_id, agent_id, skill, waited_ms = reply
    return Assignment(conversation_id, agent_id, Skill(skill), int(waited_ms))


def estimate_wait_s(position: int, online_capacity: int, average_handle_s: float) -> int | None:
    """Seconds until a user at `position` is served, or None when nobody online can serve.

    Rocket.Chat's estimate (position x average handling time) divided by the online capacity:
    ten agents with three chats each free a slot thirty times as often as one agent does.
    """
    if online_capacity <= 0:
        return None
    return math.ceil(position * average_handle_s / online_capacity)


class HandoffQueue:
    """The queue operations; `clock` returns seconds (injectable for tests)."""

    def __init__(self, redis: Redis, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self._clock = clock
        self._enqueue = redis.register_script(_ENQUEUE)
        self._assign_next = redis.register_script(_ASSIGN_NEXT)
        self._claim = redis.register_script(_CLAIM)
        self._cancel = redis.register_script(_CANCEL)
        self._release = redis.register_script(_RELEASE)
        self._requeue = redis.register_script(_REQUEUE)
        self._hand_over = redis.register_script(_HAND_OVER)
        self._online_capacity = redis.register_script(_ONLINE_CAPACITY)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    # Users

    async def enqueue(
        self,
        conversation_id: str,
        skill: Skill,
        *,
        at_head: bool = False,
        enqueued_ms: int | None = None,
    ) -> int | None:
        """Put a user in the skill's queue; their 1-based position, None if with an agent.

        Enqueuing a user who already waits changes nothing and returns their position, so a
        repeated 转人工 is harmless. `at_head` puts a user back before everyone waiting (an
        agent who dropped them), keeping their original `enqueued_ms` for the wait figures.
        """
        since = enqueued_ms if enqueued_ms is not None else self._now_ms()
        position = await self._enqueue(
            keys=[_key("conv", conversation_id), _key("queue", skill)],
            args=[conversation_id, skill.value, since, int(at_head)],
        )
        return None if position < 0 else int(position)

    async def state(self, conversation_id: str) -> ConversationState | None:
        state = await self._redis.hget(_key("conv", conversation_id), "state")
        return ConversationState(state) if state else None

    async def conversation(self, conversation_id: str) -> Conversation | None:
        stored = await self._redis.hgetall(_key("conv", conversation_id))
        if not stored.get("state"):
            return None
        return Conversation(
            conversation_id,
            ConversationState(stored["state"]),
            Skill(stored["skill"]),
            int(stored.get("enqueued_ms") or 0),
            stored.get("agent"),
            int(stored["chat"]) if stored.get("chat") else None,
            stored.get("note"),
        )

    async def position(self, conversation_id: str) -> int | None:
        state, skill = await self._redis.hmget(_key("conv", conversation_id), "state", "skill")
        if state != ConversationState.QUEUED:
            return None
        rank = await self._redis.zrank(_key("queue", skill), conversation_id)
        return None if rank is None else rank + 1

    async def tell_position(self, conversation_id: str, position: int) -> bool:
        """Record the position the user is told; False if that is what they were told last."""
        key = _key("conv", conversation_id)
        if await self._redis.hget(key, "told") == str(position):
            return False
        await self._redis.hset(key, "told", position)
        return True

    async def cancel(self, conversation_id: str) -> bool:
        """Take a waiting user out of the queue (they abandoned it: counted for the day);
        False if they were not waiting."""
        keys = [_key("conv", conversation_id), _abandoned_key(self._day())]
        return bool(await self._cancel(keys=keys, args=[conversation_id]))

    async def abandoned(self, day: date) -> dict[Skill, int]:
        """How many users left each skill's queue without an agent on a China-local day."""
        counts = await self._redis.hgetall(_abandoned_key(day))
        return {skill: int(counts.get(skill.value, 0)) for skill in Skill}

    def _day(self) -> date:
        return datetime.fromtimestamp(self._clock(), CHINA_TZ).date()

    async def waiting(self, skill: Skill) -> list[tuple[str, int]]:
        """The skill's waiting users, first first, with their place in time (ms)."""
        members = await self._redis.zrange(_key("queue", skill), 0, -1, withscores=True)
        return [(member, int(score) // 1000) for member, score in members]

    # Agents

    async def register_agent(self, agent_id: str, skills: Iterable[Skill], capacity: int) -> None:
        """Set which skills an agent serves and how many chats they take at once."""
        wanted = set(skills)
        async with self._redis.pipeline(transaction=True) as pipe:
            for skill in Skill:
                key = _key("skill-agents", skill)
                if skill in wanted:
                    pipe.sadd(key, agent_id)
                else:
                    pipe.srem(key, agent_id)
            pipe.hset(_key("agent", agent_id), mapping={"capacity": capacity})
            pipe.hsetnx(_key("agent", agent_id), "status", AgentStatus.OFFLINE.value)
            pipe.hsetnx(_key("agent", agent_id), "load", 0)
            await pipe.execute()

    async def set_status(self, agent_id: str, status: AgentStatus) -> None:
        fields: dict[str, str | int] = {"status": status.value}
        if status is AgentStatus.ONLINE:
            # Coming online counts as the start of idleness for the longest-idle tie-break.
            current = await self._redis.hget(_key("agent", agent_id), "status")
            if current != AgentStatus.ONLINE:
                fields["idle_since_ms"] = self._now_ms()
        await self._redis.hset(_key("agent", agent_id), mapping=fields)

    async def agent(self, agent_id: str) -> Agent | None:
        status, capacity, load = await self._redis.hmget(
            _key("agent", agent_id), "status", "capacity", "load"
        )
        if status is None:
            return None
        return Agent(agent_id, AgentStatus(status), int(capacity or 0), int(load or 0))

    async def chats_of(self, agent_id: str) -> set[str]:
        return set(await self._redis.smembers(_key("agent-chats", agent_id)))

    async def agent_ids(self) -> set[str]:
        """Every agent registered for any skill."""
        return set(await self._redis.sunion([_key("skill-agents", s) for s in Skill]))

    async def touch_presence(self, agent_id: str, ttl_s: int) -> None:
        await self._redis.set(_key("presence", agent_id), 1, ex=ttl_s)

    async def present(self, agent_id: str) -> bool:
        return bool(await self._redis.exists(_key("presence", agent_id)))

    async def skills_of(self, agent_id: str) -> list[Skill]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for skill in Skill:
                pipe.sismember(_key("skill-agents", skill), agent_id)
            member = await pipe.execute()
        return [skill for skill, served in zip(Skill, member, strict=True) if served]

    # Assignment

    async def assign_next(self, skill: Skill) -> Assignment | None:
        """Give the head of the skill's queue to the best available agent, if there is one."""
        reply = await self._assign_next(
            keys=[_key("queue", skill), _key("skill-agents", skill)],
            args=[skill.value, self._now_ms()],
        )
        return _assignment(reply)

    async def claim(self, agent_id: str, conversation_id: str) -> Assignment | None:
        """An agent picks a waiting user; None if someone else was faster or they are full."""
        reply = await self._claim(
            keys=[_key("conv", conversation_id)],
            args=[conversation_id, agent_id, self._now_ms()],
        )
        return _assignment(reply)

    async def release(self, conversation_id: str) -> str | None:
        """End the agent's chat with this user; the agent's id, or None if there was none."""
        return await self._release(
            keys=[_key("conv", conversation_id), _key("handle-ms")],
            args=[conversation_id, self._now_ms(), DEFAULT_HANDLE_MS, HANDLE_TIME_WEIGHT],
        )

    async def set_chat(self, conversation_id: str, chat_id: int) -> None:
        """Remember the SQL chat row of an assignment (set right after it is made)."""
        await self._redis.hset(_key("conv", conversation_id), "chat", chat_id)

    async def requeue(
        self, conversation_id: str, agent_id: str, skill: Skill | None = None
    ) -> int | None:
        """Put the agent's user back at the head of their queue, or of `skill`'s (a transfer);
        their position, or None if they are not with this agent."""
        position = await self._requeue(
            keys=[_key("conv", conversation_id)],
            args=[conversation_id, agent_id, skill.value if skill else ""],
        )
        return None if position is None else int(position)

    async def hand_over(
        self, conversation_id: str, from_agent: str, to_agent: str
    ) -> Assignment | None:
        """Move a chat to another agent who is online with a free slot; None if they are not."""
        reply = await self._hand_over(
            keys=[_key("conv", conversation_id)],
            args=[conversation_id, from_agent, to_agent, self._now_ms()],
        )
        return _assignment(reply)

    async def set_note(self, conversation_id: str, note: str) -> None:
        """A note for the next agent (a transfer's reason); gone when the chat ends."""
        await self._redis.hset(_key("conv", conversation_id), "note", note)

    # Estimates

    async def online_capacity(self, skill: Skill) -> int:
        capacity, _ = await self._online_capacity(keys=[_key("skill-agents", skill)])
        return int(capacity)

    async def figures(self, skill: Skill) -> SkillFigures:
        queue = _key("queue", skill)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zcard(queue)
            pipe.zrange(queue, 0, 0)
            waiting, head = await pipe.execute()
        head_enqueued = None
        if head:
            stored = await self._redis.hget(_key("conv", head[0]), "enqueued_ms")
            head_enqueued = int(stored) if stored else None
        capacity, agents = await self._online_capacity(keys=[_key("skill-agents", skill)])
        return SkillFigures(int(waiting), head_enqueued, int(agents), int(capacity))

    async def agents_by_status(self) -> dict[AgentStatus, int]:
        """How many registered agents are online, busy, away and offline."""
        agent_ids = await self.agent_ids()
        async with self._redis.pipeline(transaction=False) as pipe:
            for agent_id in agent_ids:
                pipe.hget(_key("agent", agent_id), "status")
            statuses = await pipe.execute()
        counts = dict.fromkeys(AgentStatus, 0)
        for status in statuses:
            counts[AgentStatus(status or AgentStatus.OFFLINE)] += 1
        return counts

    async def average_handle_s(self) -> float:
        stored = await self._redis.get(_key("handle-ms"))
        return int(stored or DEFAULT_HANDLE_MS) / 1000
