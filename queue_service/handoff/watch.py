"""The periodic round every service process runs, so that nothing waits on a lost event.

Users go back to the queue when their agent has had no console connected for the grace period;
users who waited longer than the maximum are offered to leave a message; and waiting users are
dispatched to free agents (normally done on the spot, this catches the rare miss). Every
process runs the loop, and a short Redis lock lets one of them do each round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from kernel.skills import Skill
from queue_service.handoff.desk import HandoffDesk
from queue_service.handoff.phases import PREFIX
from queue_service.handoff.queue import AgentStatus, HandoffQueue
from queue_service.handoff.switchboard import Switchboard

log = logging.getLogger(__name__)


class Watch:
    def __init__(
        self,
        redis: Redis,
        queue: HandoffQueue,
        desk: HandoffDesk,
        switchboard: Switchboard,
        *,
        interval_s: float,
        max_wait_s: int,
    ) -> None:
        self._redis = redis
        self._queue = queue
        self._desk = desk
        self._switchboard = switchboard
        self._interval_s = interval_s
        self._max_wait_s = max_wait_s
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Rounds until stop(). A flag, not cancellation: a cancel that lands while redis-py
        is inside a timeout can be swallowed (Python 3.11's wait_for), leaving a loop behind."""
        while not self._stopping.is_set():
            try:
                await self.round()
            except (RedisError, SQLAlchemyError) as exc:
                log.warning("handoff round failed", extra={"error": str(exc)})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval_s)

    def stop(self) -> None:
        self._stopping.set()

    async def round(self) -> bool:
        """One round of checks, unless another process just did one; True if this one did."""
        lock_ms = max(1, int(self._interval_s * 900))
        if not await self._redis.set(f"{PREFIX}watch", 1, nx=True, px=lock_ms):
            return False
        await self.requeue_dropped()
        await self.end_long_waits()
        await self._switchboard.dispatch(Skill)
        return True

    async def requeue_dropped(self) -> None:
        for agent_id in await self._queue.agent_ids():
            if await self._queue.present(agent_id):
                continue
            agent = await self._queue.agent(agent_id)
            if agent is not None and agent.status is not AgentStatus.OFFLINE:
                await self._queue.set_status(agent_id, AgentStatus.OFFLINE)
            if await self._queue.chats_of(agent_id):
                log.info("agent dropped out, users requeued", extra={"agent": agent_id})
                await self._switchboard.requeue_all(agent_id)

    async def end_long_waits(self) -> None:
        cutoff_ms = (time.time() - self._max_wait_s) * 1000
        ended = False
        for skill in Skill:
            # First in line first: the rest waited less.
            for conversation_id, since_ms in await self._queue.waiting(skill):
                if since_ms > cutoff_ms:
                    break
                offer = await self._desk.time_out(conversation_id)
                if offer is not None:
                    await self._switchboard.to_user(conversation_id, offer)
                    ended = True
        if ended:
            await self._switchboard.publish_queue_changed()
