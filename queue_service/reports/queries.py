"""The reports' aggregates: one query per chart, grouped in SQL, on SQLite and PostgreSQL.

Sources, all written once however many service instances run:
- `bot_sessions` (queue_service/outcomes.py): one row per closed session with its outcome and
  counts, picked by `started_at` (indexed alone and with channel, outcome and skill);
- `chats`: one row per assignment to an agent, picked by `assigned_at` (indexed);
- `bot_daily_keys` (queue_service/session_keys.py): each session's keyed counts (FAQ answers
  per entry, 有用 / 没用 per entry, the entry answered last before a request for a person, the
  questions declined per reason and text), summed per China-local day, channel and skill when
  the session was written; the ranked tables sum a period's days.

Filters: a channel (the conversation id's prefix) and a skill. A session has a skill only if it
reached an agent or left a message, so with a skill chosen the session figures are those
sessions' (containment is then 0 by definition). docs/metrics.md has the formulas.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from kernel.clusters import cluster
from queue_service import session_keys
from queue_service.db import Chat
from queue_service.handoff.chats import AGENT_DISPOSITIONS
from queue_service.outcomes import Outcome, bot_sessions
from queue_service.reports.dialect import Dialect
from queue_service.reports.period import ReportPeriod

S = bot_sessions.c
K = session_keys.bot_daily_keys.c


@dataclass(frozen=True)
class Filters:
    period: ReportPeriod
    channel: str | None = None
    skill: str | None = None


@dataclass(frozen=True)
class TrendRow:
    bucket: str
    sessions: int = 0
    contained: int = 0
    handed_off: int = 0
    left_message: int = 0
    abandoned: int = 0
    no_answer: int = 0  # sessions with at least one decline
    user_turns: int = 0
    bot_turns: int = 0
    declines: int = 0


@dataclass(frozen=True)
class HourRow:
    hour: int
    queued: int = 0  # sessions that waited in the queue, by the hour they started
    abandoned: int = 0  # of those, abandoned
    chats: int = 0  # chats by the hour their user joined the queue
    wait_avg_s: float | None = None
    wait_max_s: float | None = None


@dataclass(frozen=True)
class StaffRow:
    key: str  # the agent's user name, or the skill
    chats: int
    handled: int  # closed by the agent with a disposition (the live view's 已接待)
    handle_avg_s: float | None
    ratings: int
    csat_avg: float | None


@dataclass(frozen=True)
class Unanswered:
    text: str  # the cluster's most asked wording
    count: int
    reasons: dict[str, int]
    wordings: tuple[str, ...] = ()  # the cluster's other wordings, most asked first


# The declined wordings clustered (the most asked), as the studio's inbox caps them.
MAX_CLUSTERED = 1000


def clustered(keys: dict[str, int]) -> list[Unanswered]:
    """`{"<reason>:<question>": times}` as clusters of one question (kernel/clusters.py), most
    asked first, each with its reasons summed; beyond MAX_CLUSTERED wordings, one row each."""
    counts: Counter[str] = Counter()
    reasons: dict[str, Counter[str]] = {}
    for key, n in keys.items():
        reason, _, text = key.partition(":")
        counts[text] += n
        reasons.setdefault(text, Counter())[reason] += n
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    rows = []
    for found in cluster(ranked[:MAX_CLUSTERED]):
        summed: Counter[str] = Counter()
        for text, _ in found.questions:
            summed.update(reasons[text])
        rows.append(
            Unanswered(
                found.text, found.count, dict(summed), tuple(q for q, _ in found.questions[1:])
            )
        )
    rows += [Unanswered(text, n, dict(reasons[text])) for text, n in ranked[MAX_CLUSTERED:]]
    return sorted(rows, key=lambda r: (-r.count, r.text))


def _sum_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


class Reports:
    def __init__(self, sessions: async_sessionmaker, dialect: Dialect) -> None:
        self._sessions = sessions
        self._sql = dialect

    def _session_filters(self, f: Filters) -> list[Any]:
        start, end = f.period.utc_bounds()
        where = [S.started_at >= start, S.started_at < end]
        if f.channel:
            where.append(S.channel == f.channel)
        if f.skill:
            where.append(S.skill == f.skill)
        return where

    def _chat_filters(self, f: Filters) -> list[Any]:
        start, end = f.period.utc_bounds()
        where = [Chat.assigned_at >= start, Chat.assigned_at < end]
        if f.channel:
            where.append(Chat.conversation_id.like(f"{f.channel}:%"))
        if f.skill:
            where.append(Chat.skill == f.skill)
        return where

    async def _rows(self, query: Any) -> list[Any]:
        async with self._sessions() as db:
            return list((await db.execute(query)).all())

    async def trend(self, f: Filters) -> list[TrendRow]:
        """Sessions, their outcomes and messages per bucket; every bucket listed, empty or not."""
        bucket = self._sql.bucket(S.started_at, f.period.by).label("bucket")
        query = (
            select(
                bucket,
                func.count(),
                _sum_if(S.outcome == Outcome.CONTAINED.value),
                _sum_if(S.outcome == Outcome.HANDED_OFF.value),
                _sum_if(S.outcome == Outcome.LEFT_MESSAGE.value),
                _sum_if(S.outcome == Outcome.ABANDONED.value),
                _sum_if(S.declines > 0),
                func.coalesce(func.sum(S.user_turns), 0),
                func.coalesce(func.sum(S.bot_turns), 0),
                func.coalesce(func.sum(S.declines), 0),
            )
            .where(*self._session_filters(f))
            .group_by(bucket)
        )
        found = {
            row[0]: TrendRow(*(int(v) if i else v for i, v in enumerate(row)))
            for row in await self._rows(query)
        }
        return [found.get(label, TrendRow(label)) for label in f.period.buckets()]

    async def _keys(self, f: Filters, *kinds: str) -> dict[tuple[str, str], int]:
        """The period's daily sums per (kind, key) (session_keys.py), filtered alike."""
        where = [K.kind.in_(kinds), K.day >= f.period.first, K.day <= f.period.last]
        if f.channel:
            where.append(K.channel == f.channel)
        if f.skill:
            where.append(K.skill == f.skill)
        query = select(K.kind, K.key, func.sum(K.n)).where(*where).group_by(K.kind, K.key)
        return {(str(kind), str(key)): int(n) for kind, key, n in await self._rows(query)}

    async def questions(self, f: Filters) -> list[tuple[str, int]]:
        """FAQ entries answered in the period's sessions: (entry id, answers), most first."""
        found = await self._keys(f, session_keys.ANSWER)
        return sorted(((key, n) for (_, key), n in found.items()), key=lambda r: (-r[1], r[0]))

    async def handoffs_after(self, f: Filters) -> dict[str, int]:
        """Per FAQ entry, the sessions where it was the last answer before a request for a
        person (`handoff_after`, migration 0014)."""
        return {key: n for (_, key), n in (await self._keys(f, session_keys.AFTER)).items()}

    async def feedback(self, f: Filters) -> list[tuple[str, int, int]]:
        """有用 / 没用 per FAQ entry: (entry id, useful, not useful), most verdicts first."""
        found = await self._keys(f, session_keys.USEFUL, session_keys.NOT_USEFUL)
        entries = {key for _, key in found}
        rows = [
            (e, found.get((session_keys.USEFUL, e), 0), found.get((session_keys.NOT_USEFUL, e), 0))
            for e in entries
        ]
        return sorted(rows, key=lambda row: (-(row[1] + row[2]), row[0]))

    async def unanswered(self, f: Filters) -> list[Unanswered]:
        """The user's question before each decline, the same question asked alike together
        (masked texts), most first, with the declines' reasons."""
        found = await self._keys(f, session_keys.UNANSWERED)
        return clustered({key: n for (_, key), n in found.items()})

    async def hours(self, f: Filters) -> list[HourRow]:
        """Queue waits and abandonment by China-local hour of day (0-23)."""
        started = self._sql.hour(S.started_at).label("hour")
        queued = (
            select(started, func.count(), _sum_if(S.outcome == Outcome.ABANDONED.value))
            .where(*self._session_filters(f), S.queued.is_(True))
            .group_by(started)
        )
        joined = self._sql.hour(Chat.enqueued_at).label("hour")
        wait = self._sql.seconds(Chat.enqueued_at, Chat.assigned_at)
        chats = (
            select(joined, func.count(), func.avg(wait), func.max(wait))
            .where(*self._chat_filters(f))
            .group_by(joined)
        )
        by_hour = {h: [0, 0, 0, None, None] for h in range(24)}
        for hour, n, abandoned in await self._rows(queued):
            by_hour[int(hour)][0:2] = [int(n), int(abandoned)]
        for hour, n, average, longest in await self._rows(chats):
            by_hour[int(hour)][2:5] = [int(n), _float(average), _float(longest)]
        return [HourRow(h, *v) for h, v in by_hour.items()]

    async def staff(self, f: Filters, per: str) -> list[StaffRow]:
        """Chats assigned in the period per agent (`per="agent"`) or per skill: how many, how
        many the agent closed, their average handle time, ratings and average rating."""
        key = Chat.agent if per == "agent" else Chat.skill
        done = and_(
            Chat.closed_at.is_not(None), Chat.disposition.in_([d.value for d in AGENT_DISPOSITIONS])
        )
        handle = case((done, self._sql.seconds(Chat.assigned_at, Chat.closed_at)), else_=None)
        query = (
            select(
                key,
                func.count(),
                _sum_if(done),
                func.avg(handle),
                func.count(Chat.csat),
                func.avg(Chat.csat),
            )
            .where(*self._chat_filters(f))
            .group_by(key)
            .order_by(func.count().desc(), key)
        )
        return [
            StaffRow(str(k), int(n), int(h), _float(avg), int(r), _float(csat))
            for k, n, h, avg, r, csat in await self._rows(query)
        ]

    async def plain_count(self, f: Filters) -> int:
        """The period's sessions, counted on the index alone (the benchmark's yardstick)."""
        start, end = f.period.utc_bounds()
        query = select(func.count()).where(S.started_at >= start, S.started_at < end)
        async with self._sessions() as db:
            return int(await db.scalar(query) or 0)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
