"""Searching the transcripts (会话记录): which lines were said, in which chat, by whom, when.

Supervisors review chats and answer complaints ("the agent told me yesterday that..."); agents
look up what they told a user before. Dates are China dates, as staff think of them, turned into
UTC bounds here. Results come newest first, a page at a time, continued by the id of the last
line shown (keyset paging stays fast and does not repeat lines while new ones are written).

Text is matched ignoring case as a plain substring: a scan of the table, fine for the volumes of
one help desk; a trigram index on PostgreSQL is the step after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from kernel.clock import CHINA_TZ
from kernel.messages import Role
from kernel.privacy import mask_personal_numbers
from queue_service.console import texts
from queue_service.db import Chat as ChatRow
from queue_service.db import TranscriptMessage, as_utc

MAX_PAGE = 100
DEFAULT_PAGE = 50

T = TypeVar("T")



class SearchError(ValueError):
    """A search that cannot be run as asked; the message is shown as it is."""


@dataclass(frozen=True)
class Period:
    """China dates, both included; either end may be open."""

    first: date | None = None
    last: date | None = None

    def __post_init__(self) -> None:
        if self.first and self.last and self.first > self.last:
            raise SearchError(texts.DATES_REVERSED)

    def utc_bounds(self) -> tuple[datetime | None, datetime | None]:
        """From midnight of the first day to midnight after the last day, Beijing time, in UTC."""
        start = end = None
        if self.first:
            start = datetime.combine(self.first, time(), CHINA_TZ).astimezone(UTC)
        if self.last:
            end = datetime.combine(self.last + timedelta(days=1), time(), CHINA_TZ).astimezone(UTC)
        return start, end


@dataclass(frozen=True)
class LineQuery:
    conversation: str | None = None  # an id, or its beginning (e.g. "webchat:3f2a")
    agent: str | None = None
    role: Role | None = None
    text: str | None = None
    period: Period = Period()
    # Set for agents: only lines marked with this user name (theirs, and their users').
    served_by: str | None = None
    before_id: int | None = None
    limit: int = DEFAULT_PAGE


@dataclass(frozen=True)
class Line:
    id: int
    conversation_id: str
    role: Role
    text: str | None
    agent: str | None
    sender_name: str | None
    created_at: datetime


@dataclass(frozen=True)
class ChatQuery:
    conversation: str | None = None
    agent: str | None = None
    period: Period = Period()  # of the assignment
    before_id: int | None = None
    limit: int = DEFAULT_PAGE


@dataclass(frozen=True)
class ChatSummary:
    id: int
    conversation_id: str
    skill: str
    agent: str
    assigned_at: datetime
    closed_at: datetime | None
    disposition: str | None
    csat: int | None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    # Pass as before_id for the next page; None when this page was the last.
    next_before: int | None


def _page_size(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE))


def _newest_first(
    statement: Select,
    id_column: Any,
    time_column: Any,
    period: Period,
    before_id: int | None,
    size: int,
) -> Select:
    """The statement limited to the period (China dates) and to the page before `before_id`,
    newest first, one row more than the page to tell whether another page follows."""
    start, end = period.utc_bounds()
    if start:
        statement = statement.where(time_column >= start)
    if end:
        statement = statement.where(time_column < end)
    if before_id:
        statement = statement.where(id_column < before_id)
    return statement.order_by(id_column.desc()).limit(size + 1)


class TranscriptSearch:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def lines(self, query: LineQuery) -> Page[Line]:
        """Transcript lines matching every filter given, newest first."""
        m = TranscriptMessage
        size = _page_size(query.limit)
        statement = select(m)
        if query.conversation:
            statement = statement.where(
                m.conversation_id.startswith(query.conversation, autoescape=True)
            )
        if query.agent:
            statement = statement.where(m.agent == query.agent)
        if query.served_by:
            statement = statement.where(m.agent == query.served_by)
        if query.role:
            statement = statement.where(m.role == query.role.value)
        if query.text and query.text.strip():
            # Lines are stored with personal numbers masked: a number searched in full is
            # masked the same way, so that it still finds them.
            words = mask_personal_numbers(query.text.strip())
            statement = statement.where(m.text.icontains(words, autoescape=True))
        statement = _newest_first(
            statement, m.id, m.created_at, query.period, query.before_id, size
        )
        async with self._sessions() as session:
            rows = list(await session.scalars(statement))
        lines = [
            Line(
                r.id,
                r.conversation_id,
                Role(r.role),
                r.text,
                r.agent,
                (r.extra or {}).get("sender_name"),
                as_utc(r.created_at),
            )
            for r in rows[:size]
        ]
        return Page(lines, lines[-1].id if len(rows) > size else None)

    async def chats(self, query: ChatQuery) -> Page[ChatSummary]:
        """Chats (one user served by one agent), newest assignment first."""
        c = ChatRow
        size = _page_size(query.limit)
        statement = select(c)
        if query.conversation:
            statement = statement.where(
                c.conversation_id.startswith(query.conversation, autoescape=True)
            )
        if query.agent:
            statement = statement.where(c.agent == query.agent)
        statement = _newest_first(
            statement, c.id, c.assigned_at, query.period, query.before_id, size
        )
        async with self._sessions() as session:
            rows = list(await session.scalars(statement))
        chats = [
            ChatSummary(
                r.id,
                r.conversation_id,
                r.skill,
                r.agent,
                as_utc(r.assigned_at),
                as_utc(r.closed_at) if r.closed_at else None,
                r.disposition,
                r.csat,
            )
            for r in rows[:size]
        ]
        return Page(chats, chats[-1].id if len(rows) > size else None)

    async def served(self, conversation_id: str, agent: str) -> bool:
        """Whether the agent ever served this conversation (a chat, or a line marked with them)."""
        chat = exists().where(ChatRow.conversation_id == conversation_id, ChatRow.agent == agent)
        line = exists().where(
            TranscriptMessage.conversation_id == conversation_id, TranscriptMessage.agent == agent
        )
        async with self._sessions() as session:
            return bool(await session.scalar(select(or_(chat, line))))
