"""Agent messages and queue updates to users of channels without a socket (WeChat, Telegram).

A web chat socket listens to the user's bus topic (``conv:<id>``) for as long as it is open; a
WeChat or Telegram user has no socket, so while they are queued or with an agent one service
process listens for them. Which one: the process that ran their last turn, if it wins the lease
``<lease prefix><conversation id>`` (SET NX, renewed while it listens); any other process that
runs a later turn finds the lease taken and does nothing, so each line is sent once. If the
listening process dies, the lease expires and the user's next turn starts a new listener.

Lines said between the turn and the subscription are not lost: once subscribed, the relay reads
the transcript after the turn's last line, and it never sends a line id twice. Lines arriving
within ``coalesce_s`` (an agent typing several short messages) are delivered together (WeChat
sends them as one message, to spare its quota); the relay stops when the user is back with the
bot and nothing more arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from queue_service.bus import Bus
from queue_service.handoff.queue import HandoffQueue
from queue_service.handoff.switchboard import user_topic
from queue_service.messages import StoredMessage
from queue_service.transcripts import TranscriptStore

log = logging.getLogger(__name__)

LEASE_S = 30

# Sends a batch of new lines to the user: (conversation id, lines).
Deliver = Callable[[str, list[StoredMessage]], Awaitable[None]]
# Shows or hides the agent's typing notice: (conversation id, on).
ShowTyping = Callable[[str, bool], Awaitable[None]]


class HandoffRelay:
    def __init__(
        self,
        redis: Redis,
        bus: Bus,
        queue: HandoffQueue,
        transcripts: TranscriptStore,
        deliver: Deliver,
        *,
        lease_prefix: str,
        coalesce_s: float = 0.0,
        show_typing: ShowTyping | None = None,
    ) -> None:
        self._redis = redis
        self._bus = bus
        self._queue = queue
        self._transcripts = transcripts
        self._deliver = deliver
        self._lease_prefix = lease_prefix
        self._coalesce_s = coalesce_s
        self._show_typing = show_typing
        self._owner = secrets.token_hex(8)
        self._relays: dict[str, asyncio.Task[None]] = {}

    async def after_turn(self, conversation_id: str, answered: list[StoredMessage]) -> None:
        """Start listening for the user if they are now queued or with an agent.

        ``answered`` is what the turn answered (the channel sends it): the relay sends what
        comes after its last line, so an agent's greeting written meanwhile is not skipped.
        """
        if conversation_id in self._relays:
            return
        try:
            if await self._queue.state(conversation_id) is None:
                return
            if not await self._redis.set(
                self._lease_prefix + conversation_id, self._owner, nx=True, ex=LEASE_S
            ):
                return  # another process listens for them
            last = answered or await self._transcripts.history(conversation_id, 1)
        except RedisError as exc:
            log.warning("relay not started", extra={"error": str(exc)})
            return
        after_id = max((line.id for line in last), default=0)
        task = asyncio.create_task(self._relay(conversation_id, after_id))
        self._relays[conversation_id] = task
        task.add_done_callback(lambda _: self._relays.pop(conversation_id, None))

    async def stop(self) -> None:
        for task in list(self._relays.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _relay(self, conversation_id: str, after_id: int) -> None:
        lease = self._lease_prefix + conversation_id
        sent_up_to = after_id
        try:
            async with self._bus.listen(user_topic(conversation_id)) as events:
                # Whatever was said before the subscription took effect.
                history = await self._transcripts.history(conversation_id, 50)
                sent_up_to = await self._send(conversation_id, history, sent_up_to)
                while True:
                    try:
                        first = await asyncio.wait_for(events.get(), timeout=LEASE_S / 3)
                    except TimeoutError:
                        if await self._queue.state(conversation_id) is None:
                            return  # back with the bot, and quiet
                        await self._redis.set(lease, self._owner, ex=LEASE_S)
                        continue
                    await self._typing(conversation_id, first)
                    lines = _lines(first)
                    if self._coalesce_s:
                        await asyncio.sleep(self._coalesce_s)
                    while not events.empty():
                        event = events.get_nowait()
                        await self._typing(conversation_id, event)
                        lines += _lines(event)
                    sent_up_to = await self._send(conversation_id, lines, sent_up_to)
                    await self._redis.set(lease, self._owner, ex=LEASE_S)
        except RedisError as exc:
            log.warning("relay stopped", extra={"error": str(exc)})
        finally:
            with contextlib.suppress(RedisError):
                if await self._redis.get(lease) == self._owner:
                    await self._redis.delete(lease)

    async def _send(self, conversation_id: str, lines: list[StoredMessage], sent_up_to: int) -> int:
        new = [line for line in lines if line.id > sent_up_to and line.role != "user"]
        if not new:
            return sent_up_to
        try:
            await self._deliver(conversation_id, new)
        except Exception:  # the channel refused (blocked bot, API down): not worth a retry loop
            log.exception("relay delivery failed", extra={"conversation_id": conversation_id})
        return max(line.id for line in new)

    async def _typing(self, conversation_id: str, event: dict) -> None:
        if self._show_typing is not None and event.get("type") == "typing":
            await self._show_typing(conversation_id, bool(event.get("on")))


def _lines(event: dict) -> list[StoredMessage]:
    if event.get("type") != "messages":
        return []
    return [StoredMessage.model_validate(m) for m in event.get("messages", [])]
