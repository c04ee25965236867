"""Agent messages and queue updates to users of channels without a socket (WeChat, Telegram).

A web chat socket listens to the user's bus topic (``conv:<id>``) for as long as it is open; a
WeChat or Telegram user has no socket, so while they are queued or with an agent one service
process listens for them. Which one: the process that ran their last turn, if it wins the lease
``swa:<channel>:relay:<conversation id>`` (SET NX, renewed while it listens); any other process that
runs a later turn finds the lease taken and does nothing, so each line is sent once. If the
listening process dies, the lease expires and the user's next turn starts a new listener.
Lines arriving
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

from kernel.messages import StoredMessage
from queue_service.port import SENT_BY_CHANNEL, ChannelPort
from queue_service.settings import Settings

log = logging.getLogger(__name__)

LEASE_S = 30
SENT_TTL_S = 2 * 24 * 3600
STOP_WAIT_S = 2.0

# What a channel calls after each turn: (conversation id, what the turn answered).
AfterTurn = Callable[[str, list[StoredMessage]], Awaitable[None]]
# Sends a batch of new lines to the user: (conversation id, lines); what it returns is unused.
Deliver = Callable[[str, list[StoredMessage]], Awaitable[object]]
# Shows or hides the agent's typing notice: (conversation id, on).
ShowTyping = Callable[[str, bool], Awaitable[None]]


class HandoffRelay:
    """One channel's listeners. Every channel wires its relay the same way: its name, the
    service's settings, Redis and the channel port; it says only how lines are delivered, and
    whether they are coalesced and the agent's typing shown."""

    def __init__(
        self,
        channel: str,
        settings: Settings,
        redis: Redis,
        port: ChannelPort,
        deliver: Deliver,
        *,
        coalesce_s: float = 0.0,
        show_typing: ShowTyping | None = None,
    ) -> None:
        self._channel = channel
        self._sweep_s = settings.relay_sweep_s
        self._redis = redis
        self._port = port
        self._deliver = deliver
        self._coalesce_s = coalesce_s
        self._show_typing = show_typing
        self._lease_prefix = f"swa:{channel}:relay:"
        self._owner = secrets.token_hex(8)
        self._relays: dict[str, asyncio.Task[None]] = {}
        self._sweeping: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._sweeping = asyncio.create_task(self._sweep(), name=f"relay-sweep-{self._channel}")

    async def after_turn(self, conversation_id: str, answered: list[StoredMessage]) -> None:
        """Start listening for the user if they are now queued or with an agent.

        ``answered`` is what the turn answered (the channel sends it): the relay sends what
        comes after its last line, so an agent's greeting written meanwhile is not skipped.
        """
        after_id = max((line.id for line in answered), default=None)
        await self._listen(conversation_id, after_id)

    async def _listen(self, conversation_id: str, after_id: int | None) -> None:
        """Listen for the user from ``after_id`` on (None: where the last listener stopped)."""
        if conversation_id in self._relays:
            return
        sent_key = self._sent_key(conversation_id)
        try:
            if not await self._port.with_person(conversation_id):
                return
            if not await self._redis.set(
                self._lease_prefix + conversation_id, self._owner, nx=True, ex=LEASE_S
            ):
                return  # another process listens for them
            if after_id is None:
                stored = await self._redis.get(sent_key)
                last = [] if stored else await self._port.history(conversation_id, 1)
                after_id = int(stored) if stored else max((m.id for m in last), default=0)
            await self._redis.set(sent_key, after_id, ex=SENT_TTL_S)
        except RedisError as exc:
            log.warning("relay not started", extra={"error": str(exc)})
            return
        task = asyncio.create_task(self._relay(conversation_id, after_id))
        self._relays[conversation_id] = task
        task.add_done_callback(lambda _: self._relays.pop(conversation_id, None))

    def _sent_key(self, conversation_id: str) -> str:
        return f"{self._lease_prefix}sent:{conversation_id}"

    async def _sweep(self) -> None:
        """Take over the users whose listener died with its process (their lease expired)."""
        while True:
            await asyncio.sleep(self._sweep_s)
            try:
                for conversation_id in await self._port.with_person_on(self._channel):
                    if conversation_id not in self._relays:
                        await self._listen(conversation_id, None)
            except Exception:  # Redis or SQL away for a moment: the next sweep tries again
                log.exception("relay sweep failed")

    async def stop(self) -> None:
        tasks = list(self._relays.values())
        if self._sweeping is not None:
            tasks.append(self._sweeping)
        for task in tasks:
            task.cancel()
        if tasks:
            # Bounded: a cancel landing inside redis-py's own timeout handling can be swallowed,
            # and a service must not hang on its way down for one listener.
            await asyncio.wait(tasks, timeout=STOP_WAIT_S)

    async def _relay(self, conversation_id: str, after_id: int) -> None:
        lease = self._lease_prefix + conversation_id
        sent_up_to = after_id
        try:
            async with self._port.events(conversation_id) as events:
                if self._coalesce_s:
                    await asyncio.sleep(self._coalesce_s)  # lines said together go together
                # Whatever was said before the subscription took effect, and the events so far:
                # lines are written to the transcript before they are published, so reading it
                # after taking the events covers them (later ones stay queued for the loop).
                while not events.empty():
                    await self._typing(conversation_id, events.get_nowait())
                history = await self._port.history(conversation_id, 50)
                sent_up_to = await self._send(conversation_id, history, sent_up_to)
                while True:
                    try:
                        first = await asyncio.wait_for(events.get(), timeout=LEASE_S / 3)
                    except TimeoutError:
                        if not await self._port.with_person(conversation_id):
                            return  # neither waiting nor served any more, and quiet
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
        sent = max(line.id for line in new)
        await self._redis.set(self._sent_key(conversation_id), sent, ex=SENT_TTL_S)
        return sent

    async def _typing(self, conversation_id: str, event: dict) -> None:
        if self._show_typing is not None and event.get("type") == "typing":
            await self._show_typing(conversation_id, bool(event.get("on")))


def _lines(event: dict) -> list[StoredMessage]:
    """The lines of a messages event the relay is to send: not those the user's channel sends
    itself (a ticket's answer arriving while the relay still listens after the chat)."""
    if event.get("type") != "messages" or event.get(SENT_BY_CHANNEL):
        return []
    return [StoredMessage.model_validate(m) for m in event.get("messages", [])]
