"""Today's figures for the supervisor view and /metrics: handled, abandoned, waits, CSAT.

"Today" is the China-local day. Chats come from SQL (one row per assignment); abandoned users
from the queue's daily counts in Redis. A day's chats are few enough (thousands) to average in
Python, which keeps the query the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from kernel.clock import CHINA_TZ, Clock, china_now
from queue_service.db import Chat, as_utc
from queue_service.handoff.chats import AGENT_DISPOSITIONS
from queue_service.handoff.queue import HandoffQueue


@dataclass(frozen=True)
class DayFigures:
    handled: int  # chats an agent closed
    abandoned: int  # users who left the queue (cancelled, or gave up after the maximum wait)
    average_wait_s: float | None  # from joining the queue to an agent, chats assigned today
    average_handle_s: float | None  # from assignment to close, chats handled today
    csat_average: float | None
    csat_count: int


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


class DayStats:
    def __init__(
        self, sessions: async_sessionmaker, queue: HandoffQueue, clock: Clock = china_now
    ) -> None:
        self._sessions = sessions
        self._queue = queue
        self._clock = clock

    def day(self) -> date:
        return self._clock().astimezone(CHINA_TZ).date()

    async def today(self) -> DayFigures:
        today = self.day()
        since = datetime.combine(today, time(), CHINA_TZ).astimezone(UTC)
        query = select(Chat).where(or_(Chat.assigned_at >= since, Chat.closed_at >= since))
        async with self._sessions() as session:
            chats = list(await session.scalars(query))
        agent_closed = {d.value for d in AGENT_DISPOSITIONS}
        waits, handles, ratings = [], [], []
        handled = 0
        for chat in chats:
            assigned = as_utc(chat.assigned_at)
            if assigned >= since:
                waits.append((assigned - as_utc(chat.enqueued_at)).total_seconds())
            if chat.closed_at is None or as_utc(chat.closed_at) < since:
                continue
            if chat.disposition in agent_closed:
                handled += 1
                handles.append((as_utc(chat.closed_at) - assigned).total_seconds())
            if chat.csat is not None:
                ratings.append(float(chat.csat))
        abandoned = sum((await self._queue.abandoned(today)).values())
        return DayFigures(
            handled, abandoned, _mean(waits), _mean(handles), _mean(ratings), len(ratings)
        )
