"""Agent messages and queue updates to a WeChat user, through the customer-service API.

A web chat socket listens to the user's bus topic (``conv:<id>``) for as long as it is open; a
WeChat user has no socket, so while they are queued or with an agent one service process
listens for them. Which one: the process that ran their last turn, if it wins the lease
``swa:wechat:relay:<conversation id>`` (SET NX, renewed while it listens); any other process
that runs a later turn finds the lease taken and does nothing, so each line is sent once. If
the listening process dies, the lease expires and the user's next turn starts a new listener.

Lines said between the turn and the subscription are not lost: once subscribed, the relay reads
the transcript after the turn's last line, and it never sends a line id twice. Lines arriving
together (an agent typing several short messages) are coalesced into one message, to spare
the quota; the relay stops when the user is back with the bot and nothing more arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets

from redis.asyncio import Redis
from redis.exceptions import RedisError

from integrations.wechat.options import Options
from integrations.wechat.outbox import Outbox
from integrations.wechat.render import render
from queue_service.bus import Bus
from queue_service.handoff.queue import HandoffQueue
from queue_service.handoff.switchboard import user_topic
from queue_service.messages import StoredMessage
from queue_service.transcripts import TranscriptStore

log = logging.getLogger(__name__)

LEASE_PREFIX = "swa:wechat:relay:"
LEASE_S = 30
COALESCE_S = 1.0


class HandoffRelay:
    def __init__(
        self,
        redis: Redis,
        bus: Bus,
        queue: HandoffQueue,
        transcripts: TranscriptStore,
        outbox: Outbox,
        coalesce_s: float = COALESCE_S,
    ) -> None:
        self._redis = redis
        self._bus = bus
        self._queue = queue
        self._transcripts = transcripts
        self._outbox = outbox
        self._options = Options(redis)
        self._coalesce_s = coalesce_s
        self._owner = secrets.token_hex(8)
        self._relays: dict[str, asyncio.Task[None]] = {}

    async def after_turn(self, conversation_id: str) -> None:
        """Start listening for the user if they are now queued or with an agent."""
        if conversation_id in self._relays:
            return
        try:
            if await self._queue.state(conversation_id) is None:
                return
            if not await self._redis.set(
                LEASE_PREFIX + conversation_id, self._owner, nx=True, ex=LEASE_S
            ):
                return  # another process listens for them
            last = await self._transcripts.history(conversation_id, 1)
        except RedisError as exc:
            log.warning("wechat relay not started", extra={"error": str(exc)})
            return
        after_id = last[-1].id if last else 0
        task = asyncio.create_task(self._relay(conversation_id, after_id))
        self._relays[conversation_id] = task
        task.add_done_callback(lambda _: self._relays.pop(conversation_id, None))

    async def stop(self) -> None:
        for task in list(self._relays.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _relay(self, conversation_id: str, after_id: int) -> None:
        openid = conversation_id.split(":", 1)[1]
        lease = LEASE_PREFIX + conversation_id
        sent_up_to = after_id
        try:
            async with self._bus.listen(user_topic(conversation_id)) as events:
                # Whatever was said before the subscription took effect.
                history = await self._transcripts.history(conversation_id, 50)
                sent_up_to = await self._send(openid, conversation_id, history, sent_up_to)
                while True:
                    try:
                        first = await asyncio.wait_for(events.get(), timeout=LEASE_S / 3)
                    except TimeoutError:
                        if await self._queue.state(conversation_id) is None:
                            return  # back with the bot, and quiet
                        await self._redis.set(lease, self._owner, ex=LEASE_S)
                        continue
                    lines = _lines(first)
                    await asyncio.sleep(self._coalesce_s)
                    while not events.empty():
                        lines += _lines(events.get_nowait())
                    sent_up_to = await self._send(openid, conversation_id, lines, sent_up_to)
                    await self._redis.set(lease, self._owner, ex=LEASE_S)
        except RedisError as exc:
            log.warning("wechat relay stopped", extra={"error": str(exc)})
        finally:
            with contextlib.suppress(RedisError):
                if await self._redis.get(lease) == self._owner:
                    await self._redis.delete(lease)

    async def _send(
        self, openid: str, conversation_id: str, lines: list[StoredMessage], sent_up_to: int
    ) -> int:
        new = [line for line in lines if line.id > sent_up_to and line.role != "user"]
        if not new:
            return sent_up_to
        rendered = render(new)
        await self._options.remember(conversation_id, rendered.buttons)
        await self._outbox.send(openid, rendered.text)
        return max(line.id for line in new)


def _lines(event: dict) -> list[StoredMessage]:
    if event.get("type") != "messages":
        return []  # typing notices mean nothing in WeChat
    return [StoredMessage.model_validate(m) for m in event.get("messages", [])]
