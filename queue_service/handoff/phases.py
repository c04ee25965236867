"""A conversation's phase: one record in Redis, read in one call, changed by named transitions.

Every conversation is in one `Phase`: with the bot, waiting in a skill's queue, with an agent,
leaving a message for the help desk (offered, writing its text, giving a contact), or rating a
finished chat (the 1-5 rating, then a comment). The hub reads the phase once per message and
hands the message to the bot, the desk or the agent (queue_service/hub.py). The phase changes
only through the transitions below, each one Lua script that checks the phase it finds and
refuses, changing nothing, when the transition is not allowed from it; so any number of service
processes can act on one conversation at once, and two agents never get the same user. The Rasa
conversation is never paused: the bot is simply not asked while the phase is not BOT.

Transitions (from -> to; docs/architecture.md draws them):
  enqueue        bot, at the desk -> queued (already queued: unchanged; with an agent: refused)
  cancel         queued -> bot (the user left the queue: counted as abandoned)
  time_out       queued -> message offered (waited too long: counted as abandoned)
  assign_next    queued, first in line -> with an agent (the least-loaded available agent)
  claim          queued -> with an agent (an agent picks the user)
  hand_over      with an agent -> with another agent (who has a free slot)
  take_over      with an agent -> with a supervisor (whatever their status and load)
  requeue        with an agent -> queued, at the head (a transfer to a skill; a dropped agent)
  close          with an agent -> rating (bot if the chat has no SQL row to rate yet)
  offer          bot, at the desk -> message offered
  write          bot, message offered -> message text
  give_text      message text -> message contact
  rate           rating -> comment
  back_to_bot    at the desk -> bot (declined, sent, rating skipped, comment given)
Within a phase: set_chat (with an agent: the SQL chat row), tell_position (queued: the place
the user was last told). "At the desk" is any of the message and rating phases.

All keys share the hash tag ``{hq}``, so every transition is one script on one slot, also on a
Redis Cluster. Layout (prefix ``swa:{hq}:``):
  conv:<id>            hash, the record; no key: with the bot.
                         state: the phase (`Phase` values); skill: the queue waited in or
                         served from, or the skill a message is left for;
                         queued, with an agent: enqueued_ms, told, note (from the agent who
                         transferred the user), agent, assigned_ms, chat (the SQL chat row);
                         rating, comment: chat (the chat to rate); message contact: text.
                         At the desk the record expires after DESK_TTL_S without a step.
  queue:<skill>        sorted set: conversation id -> score (enqueue time in ms x 1000 plus a
                       sequence number, so arrivals within one millisecond keep their order)
  seq                  the arrival counter behind the scores
  agent:<id>           hash (queue.py): assignments and endings change load and idle_since_ms
  agent-chats:<id>     set of conversation ids the agent is serving
  skill-agents:<skill> set of agent ids who serve the skill (queue.py; read here)
  handle-ms            recent average handling time (exponential moving average)
  abandoned:<day>      hash: skill -> users who left the queue without an agent that day
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from kernel.clock import CHINA_TZ
from kernel.skills import Skill

PREFIX = "swa:{hq}:"
# Until chats have been closed, estimates assume five minutes per chat.
DEFAULT_HANDLE_MS = 300_000
# Weight of the newest closed chat in the average handling time.
HANDLE_TIME_WEIGHT = 0.1
# A user at the desk (a message half written, a rating not given) is back with the bot after
# this long without a step.
DESK_TTL_S = 1800


class Phase(StrEnum):
    """Where a conversation is. The two queue values are those stored before the desk's steps
    joined the record, so users waiting or served keep their place across that upgrade."""

    BOT = "bot"  # no record
    QUEUED = "queued"
    WITH_AGENT = "assigned"
    MESSAGE_OFFERED = "offer"
    MESSAGE_TEXT = "text"
    MESSAGE_CONTACT = "contact"
    RATING = "rating"
    COMMENT = "comment"

    @property
    def handed_over(self) -> bool:
        """Waiting for or with an agent: lines reach the user outside their own turns."""
        return self in (Phase.QUEUED, Phase.WITH_AGENT)


@dataclass(frozen=True)
class Conversation:
    """A conversation's record as one read returns it; fields not of its phase are None."""

    id: str
    phase: Phase
    skill: Skill | None = None
    enqueued_ms: int | None = None
    agent: str | None = None
    # With an agent: the chat's SQL row; rating or comment: the chat being rated.
    chat_id: int | None = None
    note: str | None = None
    # Giving a contact: the message written in the step before.
    text: str | None = None


@dataclass(frozen=True)
class Assignment:
    conversation_id: str
    agent_id: str
    skill: Skill
    waited_ms: int


def hq_key(*parts: str) -> str:
    """A key under the queue's hash tag."""
    return PREFIX + ":".join(parts)


def _conversation(conversation_id: str, stored: dict[str, str]) -> Conversation:
    if not stored.get("state"):
        return Conversation(conversation_id, Phase.BOT)
    return Conversation(
        conversation_id,
        Phase(stored["state"]),
        skill=Skill(stored["skill"]) if stored.get("skill") else None,
        enqueued_ms=int(stored["enqueued_ms"]) if stored.get("enqueued_ms") else None,
        agent=stored.get("agent"),
        chat_id=int(stored["chat"]) if stored.get("chat") else None,
        note=stored.get("note"),
        text=stored.get("text"),
    )


def _assignment(reply: list[str] | None) -> Assignment | None:
    if not reply:
        return None
    conversation_id, agent_id, skill, waited_ms = reply
    return Assignment(conversation_id, agent_id, Skill(skill), int(waited_ms))


def _lua(body: str) -> str:
    """A script's source with `prefix` and the shared functions bound."""
    return f"local prefix = '{PREFIX}'\n{_SHARED}{body}"


# Shared by the scripts. take: hand `cid`, waiting for `skill`, to agent `aid` (`now` is the
# ARGV string, stored as given). available: an online agent's load and idle time, nil when they
# take no new chat. release: the agent's slot of `cid` is free. to_desk: the record becomes a
# desk phase's, holding only the fields given, expiring after `ttl` seconds without a step.
_SHARED = """
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
local function release(aid, cid)
  local agent = prefix .. 'agent:' .. aid
  if (tonumber(redis.call('HGET', agent, 'load')) or 0) > 0 then
    redis.call('HINCRBY', agent, 'load', -1)
  end
  redis.call('SREM', prefix .. 'agent-chats:' .. aid, cid)
end
local function to_desk(conv, ttl, ...)
  redis.call('DEL', conv)
  redis.call('HSET', conv, ...)
  redis.call('EXPIRE', conv, ttl)
end
"""

# KEYS: conv, queue of the skill. ARGV: cid, skill, enqueued_ms, at_head.
# Returns the 1-based position (also recorded as told), or -1 when the user is with an agent.
_ENQUEUE = _lua("""
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'assigned' then return -1 end
if state == 'queued' then
  local queue = prefix .. 'queue:' .. redis.call('HGET', KEYS[1], 'skill')
  local rank = redis.call('ZRANK', queue, ARGV[1])
  if rank then
    redis.call('HSET', KEYS[1], 'told', rank + 1)
    return rank + 1
  end
end
local score = tonumber(ARGV[3]) * 1000 + redis.call('INCR', prefix .. 'seq') % 1000
if ARGV[4] == '1' then
  local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if #head > 0 then score = math.min(score, tonumber(head[2]) - 1) end
end
redis.call('ZADD', KEYS[2], score, ARGV[1])
local position = redis.call('ZRANK', KEYS[2], ARGV[1]) + 1
-- From the desk, the message or rating in progress is left, and the record expires no more.
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'state', 'queued', 'skill', ARGV[2], 'enqueued_ms', ARGV[3],
           'told', position)
return position
""")

# KEYS: conv, the day's abandoned counts. ARGV: cid, '' (cancel) or the desk's ttl (time_out).
# A waiting user leaves the queue, counted as abandoned for their skill: back to the bot, or
# offered to leave a message. Returns 1, or 0 if they were not waiting.
_LEAVE_QUEUE = _lua("""
local state, skill = unpack(redis.call('HMGET', KEYS[1], 'state', 'skill'))
if state ~= 'queued' then return 0 end
redis.call('ZREM', prefix .. 'queue:' .. skill, ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('HINCRBY', KEYS[2], skill, 1)
redis.call('EXPIRE', KEYS[2], 8 * 86400)
if ARGV[2] ~= '' then to_desk(KEYS[1], ARGV[2], 'state', 'offer', 'skill', skill) end
return 1
""")

# KEYS: queue of the skill, agents of the skill. ARGV: skill, now_ms.
# The head of the queue goes to the least-loaded online agent under capacity; among equals,
# the one idle longest (then the smallest id, so the choice is reproducible).
_ASSIGN_NEXT = _lua("""
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

# KEYS: conv. ARGV: cid, aid, now_ms. An agent picks a waiting user (manual skills).
_CLAIM = _lua("""
if redis.call('HGET', KEYS[1], 'state') ~= 'queued' then return nil end
local skill = redis.call('HGET', KEYS[1], 'skill')
if redis.call('SISMEMBER', prefix .. 'skill-agents:' .. skill, ARGV[2]) == 0 then return nil end
if not available(ARGV[2]) then return nil end
return take(ARGV[1], skill, ARGV[2], ARGV[3])
""")

# KEYS: conv. ARGV: cid, from aid, to aid, now_ms, note or ''. A chat handed from one agent
# straight to another, who must be online with a free slot. Returns the assignment, or nil.
_HAND_OVER = _lua("""
if redis.call('HGET', KEYS[1], 'state') ~= 'assigned' then return nil end
if redis.call('HGET', KEYS[1], 'agent') ~= ARGV[2] or ARGV[2] == ARGV[3] then return nil end
if not available(ARGV[3]) then return nil end
release(ARGV[2], ARGV[1])
redis.call('HDEL', KEYS[1], 'chat')
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'note', ARGV[5]) end
return take(ARGV[1], redis.call('HGET', KEYS[1], 'skill'), ARGV[3], ARGV[4])
""")

# KEYS: conv. ARGV: cid, supervisor, now_ms. A supervisor takes the chat from its agent, whatever
# the supervisor's own status and load (they chose to). Returns the assignment and the agent
# who had the chat, or nil if the user is not with an agent or already with this supervisor.
_TAKE_OVER = _lua("""
if redis.call('HGET', KEYS[1], 'state') ~= 'assigned' then return nil end
local previous = redis.call('HGET', KEYS[1], 'agent')
if previous == ARGV[2] then return nil end
release(previous, ARGV[1])
redis.call('HDEL', KEYS[1], 'chat')
local taken = take(ARGV[1], redis.call('HGET', KEYS[1], 'skill'), ARGV[2], ARGV[3])
table.insert(taken, previous)
return taken
""")

# KEYS: conv. ARGV: cid, aid, skill or '', note or ''. The agent's user goes back to waiting,
# at the head of their queue (or of another skill's, a transfer), keeping their first enqueue
# time. Returns the 1-based position (also recorded as told), or nil when the user is not with
# that agent (any more).
_REQUEUE = _lua("""
if redis.call('HGET', KEYS[1], 'state') ~= 'assigned' then return nil end
if redis.call('HGET', KEYS[1], 'agent') ~= ARGV[2] then return nil end
release(ARGV[2], ARGV[1])
local skill = ARGV[3]
if skill == '' then skill = redis.call('HGET', KEYS[1], 'skill') end
local queue = prefix .. 'queue:' .. skill
local score = tonumber(redis.call('HGET', KEYS[1], 'enqueued_ms')) * 1000
local head = redis.call('ZRANGE', queue, 0, 0, 'WITHSCORES')
if #head > 0 then score = math.min(score, tonumber(head[2]) - 1) end
redis.call('ZADD', queue, score, ARGV[1])
local position = redis.call('ZRANK', queue, ARGV[1]) + 1
redis.call('HSET', KEYS[1], 'state', 'queued', 'skill', skill, 'told', position)
redis.call('HDEL', KEYS[1], 'agent', 'assigned_ms', 'chat')
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'note', ARGV[4]) end
return position
""")

# KEYS: conv, handle-time key. ARGV: cid, aid, now_ms, default handle ms, weight, desk ttl.
# The agent ends the chat: their slot is free, the chat's length folds into the average, and
# the user is asked to rate the chat, all at once. Returns 1, or 0 if that agent has no chat
# with the user.
_CLOSE = _lua("""
local state, aid, assigned, chat =
  unpack(redis.call('HMGET', KEYS[1], 'state', 'agent', 'assigned_ms', 'chat'))
if state ~= 'assigned' or aid ~= ARGV[2] then return 0 end
local now = tonumber(ARGV[3])
release(aid, ARGV[1])
redis.call('HSET', prefix .. 'agent:' .. aid, 'idle_since_ms', ARGV[3])
redis.call('DEL', KEYS[1])
if chat then to_desk(KEYS[1], ARGV[6], 'state', 'rating', 'chat', chat) end
local average = tonumber(redis.call('GET', KEYS[2])) or tonumber(ARGV[4])
local weight = tonumber(ARGV[5])
local handled = now - (tonumber(assigned) or now)
redis.call('SET', KEYS[2], math.floor(average * (1 - weight) + handled * weight))
return 1
""")

# KEYS: conv. ARGV: aid, chat id. The SQL row of the agent's chat, set right after assignment.
_SET_CHAT = _lua("""
local state, aid = unpack(redis.call('HMGET', KEYS[1], 'state', 'agent'))
if state ~= 'assigned' or aid ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'chat', ARGV[2])
return 1
""")

# KEYS: conv. ARGV: position. Returns 1, or 0 if the user does not wait or was told that last.
_TELL_POSITION = _lua("""
local state, told = unpack(redis.call('HMGET', KEYS[1], 'state', 'told'))
if state ~= 'queued' or told == ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'told', ARGV[1])
return 1
""")

# KEYS: conv. ARGV: skill, desk ttl. Offered to leave a message for the skill (instead of
# waiting); refused for a user waiting or served. Returns 1, or 0 when refused.
_OFFER = _lua("""
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'queued' or state == 'assigned' then return 0 end
to_desk(KEYS[1], ARGV[2], 'state', 'offer', 'skill', ARGV[1])
return 1
""")

# KEYS: conv. ARGV: skill, desk ttl. The user starts a message: after an offer, or from the bot
# (an earlier 留言 button). Returns 1, or 0 when refused.
_WRITE = _lua("""
local state = redis.call('HGET', KEYS[1], 'state')
if state and state ~= 'offer' then return 0 end
to_desk(KEYS[1], ARGV[2], 'state', 'text', 'skill', ARGV[1])
return 1
""")

# KEYS: conv. ARGV: the message's text, desk ttl. Returns 1, or 0 when refused.
_GIVE_TEXT = _lua("""
local state, skill = unpack(redis.call('HMGET', KEYS[1], 'state', 'skill'))
if state ~= 'text' then return 0 end
to_desk(KEYS[1], ARGV[2], 'state', 'contact', 'skill', skill, 'text', ARGV[1])
return 1
""")

# KEYS: conv. ARGV: desk ttl. The chat is rated (its score is in SQL): a comment may follow.
_RATE = _lua("""
local state, chat = unpack(redis.call('HMGET', KEYS[1], 'state', 'chat'))
if state ~= 'rating' then return 0 end
to_desk(KEYS[1], ARGV[1], 'state', 'comment', 'chat', chat)
return 1
""")

# KEYS: conv. From the desk back to the bot; refused for a user waiting or served.
_BACK_TO_BOT = _lua("""
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'queued' or state == 'assigned' then return 0 end
redis.call('DEL', KEYS[1])
return 1
""")


class Phases:
    """Reads and transitions of conversations; `clock` returns seconds (injectable for tests).

    A transition returns what its caller needs when done, and None or False when refused.
    """

    def __init__(self, redis: Redis, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self._clock = clock
        self._enqueue = redis.register_script(_ENQUEUE)
        self._leave_queue = redis.register_script(_LEAVE_QUEUE)
        self._assign_next = redis.register_script(_ASSIGN_NEXT)
        self._claim = redis.register_script(_CLAIM)
        self._hand_over = redis.register_script(_HAND_OVER)
        self._take_over = redis.register_script(_TAKE_OVER)
        self._requeue = redis.register_script(_REQUEUE)
        self._close = redis.register_script(_CLOSE)
        self._set_chat = redis.register_script(_SET_CHAT)
        self._tell_position = redis.register_script(_TELL_POSITION)
        self._offer = redis.register_script(_OFFER)
        self._write = redis.register_script(_WRITE)
        self._give_text = redis.register_script(_GIVE_TEXT)
        self._rate = redis.register_script(_RATE)
        self._back_to_bot = redis.register_script(_BACK_TO_BOT)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _day(self) -> date:
        return datetime.fromtimestamp(self._clock(), CHINA_TZ).date()

    # Reads

    async def read(self, conversation_id: str) -> Conversation:
        """The conversation's phase and record, in one read."""
        return _conversation(
            conversation_id, await self._redis.hgetall(hq_key("conv", conversation_id))
        )

    async def position(self, conversation_id: str) -> int | None:
        """A waiting user's 1-based place in their queue; None if they do not wait."""
        state, skill = await self._redis.hmget(hq_key("conv", conversation_id), "state", "skill")
        if state != Phase.QUEUED:
            return None
        rank = await self._redis.zrank(hq_key("queue", skill), conversation_id)
        return None if rank is None else rank + 1

    async def abandoned(self, day: date) -> dict[Skill, int]:
        """How many users left each skill's queue without an agent on a China-local day."""
        counts = await self._redis.hgetall(hq_key("abandoned", day.isoformat()))
        return {skill: int(counts.get(skill.value, 0)) for skill in Skill}

    # The queue

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
            keys=[hq_key("conv", conversation_id), hq_key("queue", skill)],
            args=[conversation_id, skill.value, since, int(at_head)],
        )
        return None if position < 0 else int(position)

    async def cancel(self, conversation_id: str) -> bool:
        """A waiting user leaves the queue (counted as abandoned for the day); False if they
        were not waiting."""
        return await self._leave(conversation_id, "")

    async def time_out(self, conversation_id: str) -> bool:
        """A user who waited too long is offered to leave a message instead (counted as
        abandoned); False if they were not waiting any more."""
        return await self._leave(conversation_id, DESK_TTL_S)

    async def _leave(self, conversation_id: str, desk_ttl_s: int | str) -> bool:
        keys = [hq_key("conv", conversation_id), hq_key("abandoned", self._day().isoformat())]
        return bool(await self._leave_queue(keys=keys, args=[conversation_id, desk_ttl_s]))

    async def assign_next(self, skill: Skill) -> Assignment | None:
        """Give the head of the skill's queue to the best available agent, if there is one."""
        reply = await self._assign_next(
            keys=[hq_key("queue", skill), hq_key("skill-agents", skill)],
            args=[skill.value, self._now_ms()],
        )
        return _assignment(reply)

    async def claim(self, agent_id: str, conversation_id: str) -> Assignment | None:
        """An agent picks a waiting user; None if someone else was faster or they are full."""
        reply = await self._claim(
            keys=[hq_key("conv", conversation_id)],
            args=[conversation_id, agent_id, self._now_ms()],
        )
        return _assignment(reply)

    # With an agent

    async def set_chat(self, conversation_id: str, agent_id: str, chat_id: int) -> bool:
        """Remember the SQL chat row of an assignment (set right after it is made); False if
        the user is no longer with that agent."""
        keys = [hq_key("conv", conversation_id)]
        return bool(await self._set_chat(keys=keys, args=[agent_id, chat_id]))

    async def hand_over(
        self, conversation_id: str, from_agent: str, to_agent: str, note: str = ""
    ) -> Assignment | None:
        """Move a chat to another agent who is online with a free slot, with a note for them;
        None if they are not, or the chat is not `from_agent`'s."""
        reply = await self._hand_over(
            keys=[hq_key("conv", conversation_id)],
            args=[conversation_id, from_agent, to_agent, self._now_ms(), note],
        )
        return _assignment(reply)

    async def take_over(
        self, conversation_id: str, supervisor: str
    ) -> tuple[Assignment, str] | None:
        """Move a chat to a supervisor; the assignment and the agent who had it, or None if the
        user is not with an agent (or is with this supervisor already)."""
        reply = await self._take_over(
            keys=[hq_key("conv", conversation_id)],
            args=[conversation_id, supervisor, self._now_ms()],
        )
        if not reply:
            return None
        *taken, previous = reply
        assignment = _assignment(taken)
        assert assignment is not None
        return assignment, previous

    async def requeue(
        self, conversation_id: str, agent_id: str, skill: Skill | None = None, note: str = ""
    ) -> int | None:
        """Put the agent's user back at the head of their queue, or of `skill`'s (a transfer,
        with a note for the next agent); their position, or None if they are not with this
        agent."""
        position = await self._requeue(
            keys=[hq_key("conv", conversation_id)],
            args=[conversation_id, agent_id, skill.value if skill else "", note],
        )
        return None if position is None else int(position)

    async def close(self, conversation_id: str, agent_id: str) -> bool:
        """The agent ends the chat and, at once, the user is asked to rate it; False if the
        user is not with that agent."""
        closed = await self._close(
            keys=[hq_key("conv", conversation_id), hq_key("handle-ms")],
            args=[
                conversation_id,
                agent_id,
                self._now_ms(),
                DEFAULT_HANDLE_MS,
                HANDLE_TIME_WEIGHT,
                DESK_TTL_S,
            ],
        )
        return bool(closed)

    async def tell_position(self, conversation_id: str, position: int) -> bool:
        """Record the position a waiting user is told; False if that is what they were told
        last (or they do not wait)."""
        keys = [hq_key("conv", conversation_id)]
        return bool(await self._tell_position(keys=keys, args=[position]))

    # At the desk

    async def offer(self, conversation_id: str, skill: Skill) -> bool:
        """Offer to leave a message for the skill; False for a user waiting or served."""
        return await self._step(self._offer, conversation_id, skill.value, DESK_TTL_S)

    async def write(self, conversation_id: str, skill: Skill) -> bool:
        """The user starts writing a message for the skill; False unless they were offered
        one or were with the bot."""
        return await self._step(self._write, conversation_id, skill.value, DESK_TTL_S)

    async def give_text(self, conversation_id: str, text: str) -> bool:
        """The message's text is written; its contact is next."""
        return await self._step(self._give_text, conversation_id, text, DESK_TTL_S)

    async def rate(self, conversation_id: str) -> bool:
        """The chat is rated; a comment may follow."""
        return await self._step(self._rate, conversation_id, DESK_TTL_S)

    async def back_to_bot(self, conversation_id: str) -> bool:
        """From the desk back to the bot; False for a user waiting or served (or with the bot)."""
        return await self._step(self._back_to_bot, conversation_id)

    async def _step(self, script: AsyncScript, conversation_id: str, *args: str | int) -> bool:
        return bool(await script(keys=[hq_key("conv", conversation_id)], args=list(args)))
