"""Bot outcome statistics: conversation sessions, each with one outcome and its counts.

A session is a run of a conversation's transcript lines with no silence longer than the gap
(`SWA_SESSION_GAP_S`, 30 minutes). Once its last line is older than the gap (and the user is
neither waiting for nor served by an agent), the session is closed and written to
`bot_sessions` once, with its outcome and counts, computed from what the service already keeps:

- the transcript: roles; the bot's events in a line's custom payload (kernel/bot_events.py:
  FAQ answers and which entry, declines, 猜你想问 offers, self-service queries, the user's
  有用 / 没用 per entry, the last one counting); the handoff desk's lines, recognised by their
  buttons (取消排队: the user was queued; 我要留言: offered to leave a message);
- `chats`: an agent took the user (assigned within the session), with the skill;
- `tickets`: the user left a message (created within the session), with the skill.

Outcome, first that applies: `handed_off` (an agent took the user), `left_message` (a ticket
was created), `abandoned` (a handoff was requested, by the user or on the bot's offer, but
neither happened), `contained` (the bot served the session alone). Sessions without a single
user line (a greeting nobody answered, a ticket's answer delivered later) are not sessions of a
user and are not written. docs/metrics.md has the formulas built on these rows.

The job (`SessionRound`) runs in every service process. It reads the transcript from a
high-water mark kept in SQL (`bot_session_marks`): every line at or below it belongs to a
session already closed and written, so a round reads only lines since the oldest session
still open. A row is inserted only if absent (unique on conversation and start), so rounds
that overlap, in one process or several, write each session once; the process whose insert
took adds the session to the Prometheus totals in Redis, so those are counted once too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel import bot_events
from kernel.conversation_ids import channel_of
from kernel.messages import Role
from queue_service import session_keys
from queue_service import transcript_outbox as outbox
from queue_service.db import Chat, Ticket, TranscriptMessage, as_utc
from queue_service.handoff import desk, texts
from queue_service.handoff.phases import Phase, Phases

log = logging.getLogger(__name__)

# Lines this young may still be joined by one committed a moment later with a lower id, and
# service clocks differ a little: a session closes only this long after its gap has passed.
SETTLE_S = 60
# A session held open because the user waits or is served (their agent may be slow) is closed
# anyway once its last line is this old, so one forgotten chat cannot hold the mark for ever.
HOLD_MAX_S = 24 * 3600
# Lines read per query while a round walks the transcript.
BATCH = 2000
MARK = "transcript"
OPEN_ENDED = datetime(9999, 1, 1, tzinfo=UTC)
# The desk's answers to a user who asked for a person and could not be queued.
REFUSED = {texts.TOO_MANY_HANDOFFS_TEXT, texts.HANDOFF_UNAVAILABLE_TEXT}
# Held by the process doing this interval's round (SessionRound).
ROUND_LOCK = "swa:stats:session-round"
# The Prometheus totals (queue_service/metrics.py): one Redis hash, fields "name|label|label".
TOTALS_KEY = "swa:stats:bot-totals"

_metadata = MetaData()
bot_sessions = Table(
    "bot_sessions",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(200), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("first_line_id", Integer, nullable=False),
    Column("last_line_id", Integer, nullable=False),
    Column("user_turns", Integer, nullable=False),
    Column("bot_turns", Integer, nullable=False),
    Column("answers", Integer, nullable=False),
    Column("declines", Integer, nullable=False),
    Column("suggestions", Integer, nullable=False),
    Column("queries", Integer, nullable=False),
    Column("entries", JSON, nullable=False),
    Column("suggested", JSON, nullable=False),
    Column("useful", Integer, nullable=False),
    Column("not_useful", Integer, nullable=False),
    Column("feedback", JSON, nullable=False),
    Column("handoff_after", JSON, nullable=False),
    Column("handoff_requested", Boolean, nullable=False),
    Column("queued", Boolean, nullable=False),
    Column("skill", String(32)),
    Column("chat_id", Integer),
    Column("ticket_id", Integer),
    Column("closed_at", DateTime(timezone=True), nullable=False),
    # {"<decline reason>:<the user's question, masked>": times} (migration 0015; null before).
    Column("unanswered", JSON),
    # {"<why>:<question, masked>": times}: 猜你想问 offered, an answer rated 没用 or left for a
    # person (migration 0018; null before). The studio's inbox (studio/inbox.py) reads its sums.
    Column("inbox", JSON),
    UniqueConstraint("conversation_id", "started_at", name="uq_bot_sessions_start"),
)
bot_session_marks = Table(
    "bot_session_marks",
    _metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Integer, nullable=False),
)


# Why a question the bot did not decline still goes to the studio's inbox (未知问题).
INBOX_SUGGESTED = "suggested"  # 猜你想问 offered instead of an answer
INBOX_NOT_USEFUL = "not_useful"  # answered, and the user rated the answer 没用
INBOX_HANDOFF = "handoff"  # answered, and the user's next turn asked for a person


class Outcome(StrEnum):
    CONTAINED = "contained"  # 独立接待
    HANDED_OFF = "handed_off"  # 转人工 (an agent took the user)
    ABANDONED = "abandoned"  # asked for a person, left before one took them, no message
    LEFT_MESSAGE = "left_message"  # 留言


@dataclass(frozen=True)
class Line:
    id: int
    conversation_id: str
    role: str
    created_at: datetime
    extra: dict[str, Any]
    text: str | None = None

    @property
    def payloads(self) -> set[str]:
        return {
            str(b.get("payload")) for b in self.extra.get("buttons") or [] if isinstance(b, dict)
        }

    @property
    def events(self) -> list[dict[str, Any]]:
        return bot_events.events(self.extra.get("custom"))


@dataclass
class Session:
    """One session's figures, as written to `bot_sessions`."""

    conversation_id: str
    lines: list[Line]
    outcome: Outcome = Outcome.CONTAINED
    user_turns: int = 0
    bot_turns: int = 0
    answers: int = 0
    declines: int = 0
    suggestions: int = 0
    queries: int = 0
    entries: Counter[str] = field(default_factory=Counter)
    suggested: Counter[str] = field(default_factory=Counter)
    unanswered: Counter[str] = field(default_factory=Counter)
    # The inbox's other questions, "<why>:<question>" (INBOX_* below) -> times.
    inbox: Counter[str] = field(default_factory=Counter)
    # The user's last 有用 (True) / 没用 (False) per entry in the session.
    verdicts: dict[str, bool] = field(default_factory=dict)
    # The entry answered last before the session's first request for a person.
    handoff_after: str | None = None
    handoff_requested: bool = False
    queued: bool = False
    skill: str | None = None
    chat_id: int | None = None
    ticket_id: int | None = None

    @property
    def started_at(self) -> datetime:
        return self.lines[0].created_at

    @property
    def ended_at(self) -> datetime:
        return self.lines[-1].created_at

    @property
    def channel(self) -> str:
        return channel_of(self.conversation_id)[:16]

    def row(self, now: datetime) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "channel": self.channel,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "outcome": self.outcome.value,
            "first_line_id": self.lines[0].id,
            "last_line_id": self.lines[-1].id,
            "user_turns": self.user_turns,
            "bot_turns": self.bot_turns,
            "answers": self.answers,
            "declines": self.declines,
            "suggestions": self.suggestions,
            "queries": self.queries,
            "entries": dict(self.entries),
            "suggested": dict(self.suggested),
            "unanswered": dict(self.unanswered),
            "inbox": dict(self.inbox),
            "useful": sum(self.verdicts.values()),
            "not_useful": len(self.verdicts) - sum(self.verdicts.values()),
            "feedback": {e: [int(v), int(not v)] for e, v in self.verdicts.items()},
            "handoff_after": {self.handoff_after: 1} if self.handoff_after else {},
            "handoff_requested": self.handoff_requested,
            "queued": self.queued,
            "skill": self.skill,
            "chat_id": self.chat_id,
            "ticket_id": self.ticket_id,
            "closed_at": now,
        }


def split(lines: Sequence[Line], gap: timedelta, chats: Iterable[Chat] = ()) -> list[list[Line]]:
    """A conversation's lines (in id order) cut where the silence is longer than the gap,
    unless an agent's chat went on through it (a slow agent does not end the session)."""
    slack = timedelta(seconds=1)
    # (assigned, closed) widened by a second; a chat still open runs on for ever.
    far = OPEN_ENDED
    spans = [
        (as_utc(c.assigned_at) - slack, as_utc(c.closed_at) + slack if c.closed_at else far)
        for c in chats
    ]
    runs: list[list[Line]] = []
    for line in lines:
        if runs:
            before = runs[-1][-1].created_at
            chatting = any(a <= before and line.created_at <= b for a, b in spans)
            if line.created_at - before <= gap or chatting:
                runs[-1].append(line)
                continue
        runs.append([line])
    return runs


def count(session: Session) -> None:
    """The session's counts from its lines (the bot's events, the desk's buttons)."""
    answered = False
    asked = ""  # the user's last question, for the declines (texts are masked when written)
    last_entry: str | None = None
    # The question each entry last answered, and the user turn of the last answer: a 没用 or
    # a request for a person right after an answer sends that question to the inbox.
    answered_question: dict[str, str] = {}
    answer_turn = -1
    handed_question: set[str] = set()

    def handoff() -> None:
        if not session.handoff_requested:
            session.handoff_after = last_entry
        session.handoff_requested = True
        question = answered_question.get(last_entry or "")
        if question and session.user_turns == answer_turn + 1 and question not in handed_question:
            handed_question.add(question)
            session.inbox[f"{INBOX_HANDOFF}:{question}"] += 1

    for line in session.lines:
        if line.role == Role.USER:
            session.user_turns += 1
            answered = False
            asked = " ".join((line.text or "").split())
        elif line.role == Role.BOT and session.user_turns and not answered:
            session.bot_turns += 1  # a user line the bot answered (the greeting is no turn)
            answered = True
        if line.role == Role.SYSTEM:
            # The handoff desk's lines: waiting (取消排队), offered 留言, or refused.
            if desk.CANCEL.payload in line.payloads:
                handoff()
                session.queued = True
            if desk.LEAVE_MESSAGE.payload in line.payloads or line.text in REFUSED:
                handoff()
        for event in line.events:
            kind = event["kind"]
            if kind == bot_events.HANDOFF:
                handoff()
            elif kind == bot_events.ANSWER:
                session.answers += 1
                last_entry = str(event.get("entry"))
                session.entries[last_entry] += 1
                if asked:
                    answered_question[last_entry] = asked
                    answer_turn = session.user_turns
            elif kind == bot_events.FEEDBACK:
                entry = str(event.get("entry"))
                session.verdicts[entry] = event.get("useful") is True
                question = answered_question.get(entry)
                if event.get("useful") is False and question:
                    session.inbox[f"{INBOX_NOT_USEFUL}:{question}"] += 1
            elif kind == bot_events.DECLINE:
                session.declines += 1
                if asked:
                    session.unanswered[f"{event.get('reason') or ''}:{asked}"] += 1
            elif kind == bot_events.SUGGEST:
                session.suggestions += 1
                session.suggested.update(str(e) for e in event.get("entries") or [])
                if asked:
                    session.inbox[f"{INBOX_SUGGESTED}:{asked}"] += 1
            elif kind == bot_events.QUERY:
                session.queries += 1


def decide(session: Session, chats: Iterable[Chat], tickets: Iterable[Ticket]) -> None:
    """The outcome from the conversation's chats and tickets within the session's time."""
    start, end = session.started_at - timedelta(seconds=1), session.ended_at + timedelta(seconds=1)
    served = [c for c in chats if start <= as_utc(c.assigned_at) <= end]
    left = [t for t in tickets if start <= as_utc(t.created_at) <= end]
    agent_spoke = any(line.role == Role.AGENT for line in session.lines)
    if served or left:
        session.handoff_requested = True
    if served:
        session.queued = True
    if served or agent_spoke:
        session.outcome = Outcome.HANDED_OFF
        if served:
            session.skill, session.chat_id = served[0].skill, served[0].id
    elif left:
        session.outcome = Outcome.LEFT_MESSAGE
        session.skill, session.ticket_id = left[0].skill, left[0].id
    elif session.handoff_requested:
        session.outcome = Outcome.ABANDONED
    else:
        session.outcome = Outcome.CONTAINED


def _line(row: TranscriptMessage) -> Line:
    return Line(
        row.id, row.conversation_id, row.role, as_utc(row.created_at), row.extra or {}, row.text
    )


def _insert(dialect: str):
    module = postgresql if dialect == "postgresql" else sqlite
    # RETURNING says whether the row went in (a conflict returns nothing), on both databases.
    return (
        module.insert(bot_sessions)
        .on_conflict_do_nothing(index_elements=["conversation_id", "started_at"])
        .returning(bot_sessions.c.id)
    )


@dataclass
class RoundResult:
    written: list[Session] = field(default_factory=list)
    mark: int = 0


class SessionJob:
    """Closes sessions and writes them; `round()` is one pass, safe to run anywhere at once."""

    def __init__(
        self,
        sessions: async_sessionmaker,
        redis: Redis,
        phases: Phases,
        gap_s: float = 1800,
        clock=lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = sessions
        self._redis = redis
        self._phases = phases
        self._gap = timedelta(seconds=gap_s)
        self._clock = clock

    async def mark(self) -> int:
        async with self._sessions() as session:
            value = await session.scalar(
                select(bot_session_marks.c.value).where(bot_session_marks.c.name == MARK)
            )
        return value or 0

    async def round(self, now: datetime | None = None) -> RoundResult:
        """One pass: close what is due at `now` (the clock's time if not given)."""
        now = now or self._clock()
        if await self._redis.llen(outbox.KEY):
            # Lines said while SQL failed wait there with their times: they would come after
            # sessions already closed. The round waits until they are written (within seconds).
            return RoundResult(mark=await self.mark())
        close_before = now - self._gap - timedelta(seconds=SETTLE_S)
        mark = await self.mark()
        result = RoundResult(mark=mark)
        settled_before = now - timedelta(seconds=SETTLE_S)
        cursor, lowest_open, settled = mark, None, mark
        seen: set[str] = set()
        async with self._sessions() as db:
            top = await db.scalar(select(func.max(TranscriptMessage.id)))
        top = top or 0
        while cursor < top:
            async with self._sessions() as db:
                ids = await db.execute(
                    select(
                        TranscriptMessage.id,
                        TranscriptMessage.conversation_id,
                        TranscriptMessage.created_at,
                    )
                    .where(TranscriptMessage.id > cursor, TranscriptMessage.id <= top)
                    .order_by(TranscriptMessage.id)
                    .limit(BATCH)
                )
                batch = ids.all()
            if not batch:
                break
            cursor = batch[-1][0]
            # A line of a transaction not yet committed is invisible here, and its id may be
            # below visible ones: the mark passes only lines that have settled.
            old = [line_id for line_id, _, at in batch if as_utc(at) < settled_before]
            settled = max(settled, *old) if old else settled
            conversations = sorted({c for _, c, _ in batch} - seen)
            seen.update(conversations)
            if not conversations:
                continue
            opened = await self._conversations(conversations, mark, top, close_before, now, result)
            if opened is not None:
                lowest_open = opened if lowest_open is None else min(lowest_open, opened)
        new_mark = min(cursor, settled)
        if lowest_open is not None:
            new_mark = min(new_mark, lowest_open - 1)
        if new_mark > mark:
            await self._set_mark(new_mark)
            result.mark = new_mark
        return result

    async def _conversations(
        self,
        conversations: list[str],
        mark: int,
        top: int,
        close_before: datetime,
        now: datetime,
        result: RoundResult,
    ) -> int | None:
        """Close and write these conversations' closed sessions; the first line id of the
        earliest session still open among them (None: none open)."""
        async with self._sessions() as db:
            written_to = dict(
                (
                    await db.execute(
                        select(
                            bot_sessions.c.conversation_id, func.max(bot_sessions.c.last_line_id)
                        )
                        .where(bot_sessions.c.conversation_id.in_(conversations))
                        .group_by(bot_sessions.c.conversation_id)
                    )
                ).all()
            )
            rows = await db.scalars(
                select(TranscriptMessage)
                .where(
                    TranscriptMessage.conversation_id.in_(conversations),
                    TranscriptMessage.id > mark,
                    TranscriptMessage.id <= top,
                )
                .order_by(TranscriptMessage.id)
            )
            by_conversation: dict[str, list[Line]] = {}
            for row in rows:
                if row.id > (written_to.get(row.conversation_id) or 0):
                    by_conversation.setdefault(row.conversation_id, []).append(_line(row))
            if not by_conversation:
                return None
            earliest = min(lines[0].created_at for lines in by_conversation.values())
            chats: dict[str, list[Chat]] = {}
            for chat in await db.scalars(
                select(Chat)
                .where(
                    Chat.conversation_id.in_(list(by_conversation)),
                    or_(
                        Chat.closed_at.is_(None), Chat.closed_at >= earliest - timedelta(seconds=1)
                    ),
                )
                .order_by(Chat.id)
            ):
                chats.setdefault(chat.conversation_id, []).append(chat)
        lowest_open: int | None = None
        closed: list[Session] = []
        for conversation_id, lines in by_conversation.items():
            runs = split(lines, self._gap, chats.get(conversation_id, []))
            last = runs[-1]
            if last[-1].created_at >= close_before or await self._held(conversation_id, last, now):
                runs.pop()
                lowest_open = last[0].id if lowest_open is None else min(lowest_open, last[0].id)
            closed.extend(Session(conversation_id, run) for run in runs)
        if closed:
            await self._write(closed, chats, now, result)
        return lowest_open

    async def _held(self, conversation_id: str, lines: list[Line], now: datetime) -> bool:
        """Whether the user still waits for or talks with an agent: their session goes on."""
        if now - lines[-1].created_at > timedelta(seconds=HOLD_MAX_S):
            return False
        try:
            phase = (await self._phases.read(conversation_id)).phase
        except RedisError as exc:
            log.warning("session round: phase unknown", extra={"error": str(exc)})
            return True  # decided in a later round, when Redis answers
        return phase in (Phase.QUEUED, Phase.WITH_AGENT)

    async def _write(
        self,
        closed: list[Session],
        chats: dict[str, list[Chat]],
        now: datetime,
        result: RoundResult,
    ) -> None:
        conversations = sorted({s.conversation_id for s in closed})
        earliest = min(s.started_at for s in closed) - timedelta(seconds=1)
        async with self._sessions() as db:
            tickets = list(
                await db.scalars(
                    select(Ticket)
                    .where(Ticket.conversation_id.in_(conversations), Ticket.created_at >= earliest)
                    .order_by(Ticket.id)
                )
            )
        for session in closed:
            count(session)
            own_chats = chats.get(session.conversation_id, [])
            own_tickets = [t for t in tickets if t.conversation_id == session.conversation_id]
            decide(session, own_chats, own_tickets)
        wanted = [s for s in closed if s.user_turns]
        if not wanted:
            return
        inserted: list[Session] = []
        async with self._sessions() as db, db.begin():
            statement = _insert(db.bind.dialect.name)
            added = []
            for session in wanted:
                row = session.row(now)
                if (await db.execute(statement, row)).first() is not None:
                    inserted.append(session)
                    added.append(row)
            # The reports' daily sums, only for rows this insert wrote (session_keys.py).
            await session_keys.add(db, added)
        result.written.extend(inserted)
        await self._add_totals(inserted)

    async def _add_totals(self, inserted: list[Session]) -> None:
        """The new sessions into the shared Prometheus totals (only the inserting process)."""
        if not inserted:
            return
        totals: Counter[str] = Counter()
        for s in inserted:
            totals[f"sessions|{s.outcome.value}|{s.channel}"] += 1
            totals[f"turns|{s.channel}"] += s.bot_turns
            totals[f"answers|{s.channel}"] += s.answers
            totals[f"declines|{s.channel}"] += s.declines
            totals[f"suggestions|{s.channel}"] += s.suggestions
            totals[f"queries|{s.channel}"] += s.queries
            for useful in s.verdicts.values():
                totals[f"feedback|{'useful' if useful else 'not_useful'}|{s.channel}"] += 1
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for name, value in totals.items():
                    pipe.hincrby(TOTALS_KEY, name, value)
                await pipe.execute()
        except RedisError as exc:
            # The rows are written: reports are whole; only the counters miss these sessions.
            log.warning("bot totals not counted", extra={"error": str(exc)})

    async def _set_mark(self, value: int) -> None:
        """Move the mark forward (never back: another process may have gone further)."""
        async with self._sessions() as db, db.begin():
            moved = await db.execute(
                update(bot_session_marks)
                .where(bot_session_marks.c.name == MARK, bot_session_marks.c.value < value)
                .values(value=value)
            )
            if moved.rowcount == 0:
                await _insert_mark(db, value)


async def _insert_mark(db: AsyncSession, value: int) -> None:
    module = postgresql if db.bind.dialect.name == "postgresql" else sqlite
    await db.execute(
        module.insert(bot_session_marks)
        .values(name=MARK, value=value)
        .on_conflict_do_nothing(index_elements=["name"])
    )


async def totals(redis: Redis) -> dict[tuple[str, ...], int]:
    """The shared totals: ("sessions", outcome, channel) or (name, channel) → count."""
    raw = await redis.hgetall(TOTALS_KEY)
    return {tuple(str(k).split("|")): int(v) for k, v in raw.items()}


class SessionRound:
    """The job in every service process: a round every `interval_s`, stopped by a flag."""

    def __init__(self, job: SessionJob, redis: Redis, interval_s: float) -> None:
        self._job = job
        self._redis = redis
        self._interval_s = interval_s
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                # One process per interval does the round: the others would repeat its reading.
                # Not needed for correctness: rows are inserted only if absent.
                lock_ms = max(1, int(self._interval_s * 900))
                if await self._redis.set(ROUND_LOCK, 1, nx=True, px=lock_ms):
                    await self._job.round()
            except (RedisError, SQLAlchemyError) as exc:
                log.warning("session round failed", extra={"error": str(exc)})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval_s)

    def stop(self) -> None:
        self._stopping.set()
