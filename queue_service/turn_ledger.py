"""Each user message is processed once, whatever the channel resends (issue 16).

A page that lost its socket cannot know whether the message it sent was processed: it sends
it again, with the same client message id, after it reconnects (possibly to another service
instance). The ledger remembers, per conversation and id, that a turn is under way and then
which transcript lines answered it, so the resent message gets those lines again instead of a
second turn (a second question in the transcript, a second Rasa turn, a second message to the
agent).

Keys (prefix ``swa:turn:``), one per message: ``<conversation id>:<message id>`` holds
"pending" while the turn runs, on a short lease its runner renews (so the claim of a service
instance that died lapses within a lease and the next resend runs the turn again), and then
the JSON list of the answer's lines (kept a day); ``<...>:said`` holds the message's user
line once a run wrote it, so a run after a dead one does not write it twice.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from kernel.messages import StoredMessage

PREFIX = "swa:turn:"
PENDING = "pending"
SAID = ":said"
KEEP_ANSWERED_S = 24 * 3600
POLL_S = 0.05


@dataclass(frozen=True)
class Answered:
    """The message was processed before: these lines were its answer."""

    lines: list[StoredMessage]


def _dumped(lines: list[StoredMessage]) -> str:
    return json.dumps([line.model_dump(mode="json") for line in lines], ensure_ascii=False)


def _loaded(raw: str) -> list[StoredMessage]:
    return [StoredMessage.model_validate(line) for line in json.loads(raw)]


@dataclass(frozen=True)
class Claimed:
    """This call runs the turn (and must renew, then finish or release it). `said`: the
    message's user line, if an earlier run that died had written it."""

    said: StoredMessage | None


class StillRunning(Exception):
    """The same message is still being processed elsewhere after the whole lease."""


# Claims a message in one round trip: {1, its said line or nil} when this call takes it, else
# {0, what the key holds} ("pending", or the answer's lines).
_CLAIM = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('GET', KEYS[2])}
end
return {0, redis.call('GET', KEYS[1])}
"""

# Renews a claim's lease if it is still pending (a finished turn's answer is left alone).
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


class TurnLedger:
    def __init__(self, redis: Redis, lease_s: float, wait_s: float) -> None:
        self._redis = redis
        self._lease_ms = int(lease_s * 1000)
        self._wait_s = wait_s
        self._claim = redis.register_script(_CLAIM)
        self._renew = redis.register_script(_RENEW)

    @property
    def lease_s(self) -> float:
        return self._lease_ms / 1000

    @staticmethod
    def _key(conversation_id: str, message_id: str) -> str:
        return f"{PREFIX}{conversation_id}:{message_id}"

    async def claim(self, conversation_id: str, message_id: str) -> Claimed | Answered:
        """Claimed: this call runs the turn. Answered: it ran before. A turn under way
        elsewhere is waited for, at most wait_s."""
        key = self._key(conversation_id, message_id)
        deadline = time.monotonic() + self._wait_s
        while True:
            taken, value = await self._claim(keys=[key, key + SAID], args=[PENDING, self._lease_ms])
            if taken:
                return Claimed(_loaded(value)[0] if value is not None else None)
            if value is not None and value != PENDING:
                return Answered(_loaded(value))
            if time.monotonic() > deadline:
                raise StillRunning(message_id)
            await asyncio.sleep(POLL_S)

    async def renew(self, conversation_id: str, message_id: str) -> None:
        """The turn is still running: keep the claim for another lease."""
        await self._renew(
            keys=[self._key(conversation_id, message_id)], args=[PENDING, self._lease_ms]
        )

    async def note_said(self, conversation_id: str, message_id: str, line: StoredMessage) -> None:
        """The user's line of this message is in the transcript (kept a day)."""
        key = self._key(conversation_id, message_id) + SAID
        await self._redis.set(key, _dumped([line]), ex=KEEP_ANSWERED_S)

    async def finish(
        self, conversation_id: str, message_id: str, answer: list[StoredMessage]
    ) -> None:
        key = self._key(conversation_id, message_id)
        await self._redis.set(key, _dumped(answer), ex=KEEP_ANSWERED_S)

    async def release(self, conversation_id: str, message_id: str) -> None:
        """The turn failed: the message may be sent again and run again."""
        await self._redis.delete(self._key(conversation_id, message_id))
