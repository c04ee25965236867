"""Events between service processes over Redis pub/sub, fanned out to local listeners.

A user's socket may live in one service process while the agent who answers them is connected
to another; both only know Redis. Each process keeps ONE pub/sub connection, subscribed to the
topics its connected sockets listen to (``conv:<id>`` for a user, ``agent:<name>`` for an agent,
``console`` for every console), and hands each event to the local listeners' queues.

Pub/sub is fire-and-forget on purpose: everything said is in the transcript first, and a socket
that reconnects reads it from there; the bus only makes it arrive without a reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

PREFIX = "swa:bus:"
# The pub/sub connection cannot be read before it has a subscription: this one is never used.
_ANCHOR = PREFIX + "-"
# Events a listener may fall behind by before new ones are dropped (it rereads the transcript).
LISTENER_BACKLOG = 1000
# A subscription quiet this long is pinged; one whose ping gets no answer within PONG_WITHIN_S
# is dropped and made again. A Redis that dies closes its sockets and the reader hears it at
# once; a host that freezes or vanishes (or a master the sentinels replaced while it was
# frozen) closes nothing, and the reader would wait on it forever.
QUIET_CHECK_S = 5.0
PONG_WITHIN_S = 3.0

Event = dict[str, Any]


class Bus:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._pubsub = redis.pubsub()
        self._listeners: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)
        # Changes of the subscription set happen one at a time, in order, so that a topic
        # left and joined at once ends subscribed; each waits for Redis to confirm, which the
        # reader sees.
        self._changing = asyncio.Lock()
        self._confirmations: dict[str, list[asyncio.Future[None]]] = defaultdict(list)
        self._reader: asyncio.Task[None] | None = None
        # Set while Redis is unreachable: the reader subscribes every local topic once it is back.
        self._resubscribe = True
        self._stopping = False

    async def start(self) -> None:
        """Start reading; a Redis that is down now is waited for, not fatal."""
        try:
            await self._pubsub.subscribe(_ANCHOR)
            self._resubscribe = False
        except RedisError as exc:
            log.warning("bus waits for Redis", extra={"error": str(exc)})
        self._reader = asyncio.create_task(self._read(), name="bus-reader")

    async def stop(self) -> None:
        self._stopping = True
        if self._reader is not None:
            self._reader.cancel()
            # A cancel landing inside one of redis-py's timeouts may be swallowed; closing
            # the connection then ends the read, and the flag ends the loop.
            await asyncio.wait({self._reader}, timeout=1)
        with contextlib.suppress(RedisError):
            await self._pubsub.aclose()
        if self._reader is not None:
            await asyncio.wait({self._reader}, timeout=1)

    async def publish(self, topic: str, event: Event) -> None:
        await self._redis.publish(PREFIX + topic, json.dumps(event, ensure_ascii=False))

    @contextlib.asynccontextmanager
    async def listen(self, *topics: str) -> AsyncIterator[asyncio.Queue[Event]]:
        """A queue that receives the topics' events from any process while the block runs."""
        queue: asyncio.Queue[Event] = asyncio.Queue(LISTENER_BACKLOG)
        await self._change(topics, queue, join=True)
        try:
            yield queue
        finally:
            await self._change(topics, queue, join=False)

    async def _change(
        self, topics: tuple[str, ...], queue: asyncio.Queue[Event], *, join: bool
    ) -> None:
        async with self._changing:
            changed = []
            for topic in topics:
                listeners = self._listeners[topic]
                if join:
                    if not listeners:
                        changed.append(PREFIX + topic)
                    listeners.add(queue)
                else:
                    listeners.discard(queue)
                    if not listeners:
                        del self._listeners[topic]
                        changed.append(PREFIX + topic)
            if not changed or self._resubscribe:
                return  # nothing new, or the reader subscribes everything once Redis is back
            if not join:
                with contextlib.suppress(RedisError):
                    await self._pubsub.unsubscribe(*changed)
                return
            loop = asyncio.get_running_loop()
            waits = []
            for channel in changed:
                future = loop.create_future()
                self._confirmations[channel].append(future)
                waits.append(future)
            try:
                await self._pubsub.subscribe(*changed)
                await asyncio.wait_for(asyncio.gather(*waits), timeout=5)
            except (RedisError, TimeoutError) as exc:
                # The socket still works (the transcript has everything); events follow
                # once the reader has resubscribed.
                log.warning("bus subscription delayed", extra={"error": str(exc)})
                for channel in changed:
                    self._confirmations.pop(channel, None)
                self._resubscribe = True

    async def _read(self) -> None:
        pinged_at: float | None = None
        while not self._stopping:
            try:
                if self._resubscribe:
                    # Under the lock: two concurrent first subscribes would each open a
                    # connection, and the reader would wait on the one nobody uses.
                    async with self._changing:
                        topics = [PREFIX + topic for topic in self._listeners]
                        await self._pubsub.subscribe(_ANCHOR, *topics)
                        self._resubscribe = False
                    pinged_at = None
                wait_s = QUIET_CHECK_S if pinged_at is None else PONG_WITHIN_S
                message = await self._pubsub.get_message(timeout=wait_s)
                if message is None:
                    pinged_at = await self._check_quiet(pinged_at)
                    continue
                pinged_at = None  # anything heard, the pong included, proves the connection
            except RedisError as exc:
                if self._stopping:
                    return
                log.warning("bus connection lost", extra={"error": str(exc)})
                self._resubscribe = True
                await asyncio.sleep(0.5)
                continue
            self._deliver(message)

    async def _check_quiet(self, pinged_at: float | None) -> float | None:
        """Ping a quiet subscription; drop its connection when the last ping went unanswered,
        so that the next subscribe connects afresh (through the sentinels, to the master)."""
        if pinged_at is None:
            await self._pubsub.ping()
            return time.monotonic()
        if time.monotonic() - pinged_at < PONG_WITHIN_S:
            return pinged_at
        if self._pubsub.connection is not None:
            await self._pubsub.connection.disconnect()
        raise RedisConnectionError("bus subscription answers no ping")

    def _deliver(self, message: dict[str, Any]) -> None:
        channel = message["channel"]
        if isinstance(channel, bytes):
            channel = channel.decode()
        if message["type"] == "subscribe":
            for future in self._confirmations.pop(channel, []):
                if not future.done():
                    future.set_result(None)
            return
        if message["type"] != "message":
            return
        try:
            event = json.loads(message["data"])
        except ValueError:
            log.warning("bus event is not JSON", extra={"channel": channel})
            return
        for queue in self._listeners.get(channel.removeprefix(PREFIX), ()):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                log.warning("bus listener too slow, event dropped", extra={"channel": channel})
