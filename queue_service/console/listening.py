"""A supervisor's listen-ins on one console socket: a read-only live view of other agents' chats.

Each chat listened to is one bus subscription to ``watch:<conversation id>`` (the switchboard
publishes every line of a chat there), relayed into the socket's own outgoing queue, so that
the socket has one writer. The console reads the transcript up to now itself; this adds what is
said from then on.
"""

from __future__ import annotations

import asyncio
import contextlib

from queue_service.bus import Bus, Event
from queue_service.console import texts
from queue_service.topics import watch_topic

# Chats one console listens to at once.
MAX_LISTENING = 5


class Listening:
    def __init__(self, bus: Bus, out: asyncio.Queue[Event]) -> None:
        self._bus = bus
        self._out = out
        self._relays: dict[str, asyncio.Task[None]] = {}

    async def start(self, conversation_id: str) -> None:
        if conversation_id in self._relays:
            await self._acknowledge(conversation_id, True)
            return
        if len(self._relays) >= MAX_LISTENING:
            detail = texts.LISTEN_LIMIT.format(limit=MAX_LISTENING)
            await self._acknowledge(conversation_id, False, detail)
            return
        subscribed = asyncio.get_running_loop().create_future()
        relay = asyncio.create_task(self._relay(conversation_id, subscribed))
        self._relays[conversation_id] = relay
        await asyncio.wait({subscribed, relay}, return_when=asyncio.FIRST_COMPLETED)
        await self._acknowledge(conversation_id, subscribed.done())

    async def stop(self, conversation_id: str) -> None:
        task = self._relays.pop(conversation_id, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._acknowledge(conversation_id, False)

    async def close(self) -> None:
        for task in self._relays.values():
            task.cancel()
        for task in self._relays.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._relays.clear()

    async def _relay(self, conversation_id: str, subscribed: asyncio.Future[None]) -> None:
        async with self._bus.listen(watch_topic(conversation_id)) as events:
            subscribed.set_result(None)
            while True:
                await self._out.put(await events.get())

    async def _acknowledge(self, conversation_id: str, on: bool, detail: str = "") -> None:
        event: Event = {"type": "listening", "conversation_id": conversation_id, "on": on}
        if detail:
            event["detail"] = detail
        await self._out.put(event)
