"""Messages left for the help desk (留言) when nobody can take the user now.

Users leave them outside working hours, when no agent is online, or after waiting too long. The
contact is validated while the user is still in the chat, since a ticket nobody can answer helps
no one; the errors are the words the user sees. The message text is stored with personal numbers
masked like every transcript line; the contact itself is kept as given, because agents call it
back. The verified identity of the user when they left it is kept with it (a portal login ends,
the ticket still says who asked).

A ticket moves 待处理 (open) → 处理中 (in progress: an agent took it) → 已回复 (replied: the
answer was sent to the user) → 已关闭 (closed). Each move is one conditional UPDATE, so two agents
acting at once cannot both move it; a closed ticket stays closed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from kernel.claims import Identity
from kernel.messages import utcnow
from kernel.privacy import is_mobile_phone, mask_personal_numbers
from kernel.skills import Skill
from queue_service.db import Ticket as TicketRow
from queue_service.db import TicketReply as ReplyRow
from queue_service.db import as_utc
from queue_service.handoff import texts

MAX_TEXT_CHARS = texts.MAX_TICKET_CHARS
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")



class TicketStatus(StrEnum):
    OPEN = "open"  # 待处理
    IN_PROGRESS = "in_progress"  # 处理中
    REPLIED = "replied"  # 已回复
    CLOSED = "closed"  # 已关闭


# Every status but closed: an agent may still take, answer or close the ticket.
ACTIVE = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.REPLIED)
# A ticket's status once an agent takes it: an open one is 处理中, a replied one stays 已回复.
_TAKEN = case(
    (TicketRow.status == TicketStatus.OPEN.value, TicketStatus.IN_PROGRESS.value),
    else_=TicketRow.status,
)


class TicketError(ValueError):
    """What the user must correct; the message is shown to them as it is."""


@dataclass(frozen=True)
class Ticket:
    id: int
    conversation_id: str
    skill: Skill
    text: str
    contact: str
    status: TicketStatus
    created_at: datetime
    identity: Identity | None = None
    assignee: str | None = None
    updated_at: datetime | None = None
    done_by: str | None = None
    done_note: str | None = None


@dataclass(frozen=True)
class TicketReply:
    id: int
    ticket_id: int
    author: str
    author_name: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class TicketFilter:
    """What the console searches by; empty or None: any. `assignee` "" means nobody has it."""

    statuses: tuple[TicketStatus, ...] = ()
    skill: Skill | None = None
    assignee: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.statuses:
            found.append(TicketRow.status.in_([status.value for status in self.statuses]))
        if self.skill is not None:
            found.append(TicketRow.skill == self.skill.value)
        if self.assignee == "":
            found.append(TicketRow.assignee.is_(None))
        elif self.assignee is not None:
            found.append(TicketRow.assignee == self.assignee)
        if self.since is not None:
            found.append(TicketRow.created_at >= self.since)
        if self.until is not None:
            found.append(TicketRow.created_at < self.until)
        return found


def valid_text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise TicketError(texts.TEXT_EMPTY)
    if len(cleaned) > MAX_TEXT_CHARS:
        raise TicketError(texts.TEXT_TOO_LONG)
    return cleaned


def valid_contact(contact: str) -> str:
    """A mobile, a landline with area code, or an e-mail address, normalised; else TicketError."""
    cleaned = contact.strip().replace(" ", "").replace("－", "-")
    digits = cleaned.removeprefix("+86").removeprefix("0086")
    if is_mobile_phone(digits):
        return digits
    if _LANDLINE.match(cleaned) or (len(cleaned) <= 254 and _EMAIL.match(cleaned)):
        return cleaned
    raise TicketError(texts.CONTACT_INVALID)


def _identity(claims: dict[str, Any] | None) -> Identity | None:
    try:
        return Identity.from_claims(claims) if claims else None
    except (KeyError, TypeError, ValueError):
        return None


def _ticket(row: TicketRow) -> Ticket:
    return Ticket(
        row.id,
        row.conversation_id,
        Skill(row.skill),
        row.text,
        row.contact,
        TicketStatus(row.status),
        as_utc(row.created_at),
        _identity(row.identity),
        row.assignee,
        as_utc(row.updated_at) if row.updated_at else None,
        row.done_by,
        row.done_note,
    )


def _reply(row: ReplyRow) -> TicketReply:
    return TicketReply(
        row.id, row.ticket_id, row.author, row.author_name, row.text, as_utc(row.created_at)
    )


class TicketStore:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def create(
        self,
        conversation_id: str,
        skill: Skill,
        text: str,
        contact: str,
        identity: Identity | None = None,
    ) -> Ticket:
        now = utcnow()
        row = TicketRow(
            conversation_id=conversation_id,
            skill=skill.value,
            text=mask_personal_numbers(valid_text(text)),
            contact=valid_contact(contact),
            status=TicketStatus.OPEN.value,
            identity=identity.to_claims() if identity else None,
            created_at=now,
            updated_at=now,
        )
        async with self._sessions() as session, session.begin():
            session.add(row)
        return _ticket(row)

    async def get(self, ticket_id: int) -> Ticket | None:
        async with self._sessions() as session:
            row = await session.get(TicketRow, ticket_id)
            return _ticket(row) if row is not None else None

    async def with_status(self, status: TicketStatus, limit: int = 100) -> list[Ticket]:
        """Tickets with this status, oldest first (open ones are answered in order)."""
        found, _ = await self.search(TicketFilter((status,)), limit=limit)
        return found

    async def search(
        self, where: TicketFilter, limit: int = 100, offset: int = 0
    ) -> tuple[list[Ticket], int]:
        """A page of the tickets that match, oldest first, and how many match in all."""
        conditions = where.conditions()
        page = select(TicketRow).where(*conditions).order_by(TicketRow.id)
        total = select(func.count()).select_from(TicketRow).where(*conditions)
        async with self._sessions() as session:
            rows = await session.scalars(page.limit(limit).offset(offset))
            found = [_ticket(row) for row in rows]
            return found, int(await session.scalar(total) or 0)

    async def of_conversation(self, conversation_id: str, limit: int = 20) -> list[Ticket]:
        """The tickets left from one conversation, newest first."""
        query = (
            select(TicketRow)
            .where(TicketRow.conversation_id == conversation_id)
            .order_by(TicketRow.id.desc())
            .limit(limit)
        )
        async with self._sessions() as session:
            return [_ticket(row) for row in await session.scalars(query)]

    async def count(self, status: TicketStatus) -> int:
        query = select(func.count()).select_from(TicketRow).where(TicketRow.status == status.value)
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)

    async def replies(self, ticket_id: int) -> list[TicketReply]:
        query = select(ReplyRow).where(ReplyRow.ticket_id == ticket_id).order_by(ReplyRow.id)
        async with self._sessions() as session:
            return [_reply(row) for row in await session.scalars(query)]

    async def assign(self, ticket_id: int, assignee: str) -> Ticket | None:
        """Give an active ticket to an agent (an open one is then 处理中); None: closed, gone."""
        now = utcnow()
        async with self._sessions() as session, session.begin():
            moved = await session.execute(
                update(TicketRow)
                .where(TicketRow.id == ticket_id, TicketRow.status.in_(ACTIVE))
                .values(
                    assignee=assignee,
                    updated_at=now,
                    status=_TAKEN,
                )
            )
            if moved.rowcount != 1:
                return None
            return _ticket(await session.get_one(TicketRow, ticket_id))

    async def reply(
        self, ticket_id: int, author: str, author_name: str, text: str
    ) -> tuple[Ticket, TicketReply] | None:
        """Keep an answer to an active ticket, which is then 已回复 (and the author's, if it was
        nobody's); None if closed or gone. The text is kept as the agent wrote it."""
        now = utcnow()
        async with self._sessions() as session, session.begin():
            moved = await session.execute(
                update(TicketRow)
                .where(TicketRow.id == ticket_id, TicketRow.status.in_(ACTIVE))
                .values(
                    status=TicketStatus.REPLIED.value,
                    assignee=func.coalesce(TicketRow.assignee, author),
                    updated_at=now,
                )
            )
            if moved.rowcount != 1:
                return None
            row = ReplyRow(
                ticket_id=ticket_id,
                author=author,
                author_name=author_name,
                text=text,
                created_at=now,
            )
            session.add(row)
            await session.flush()
            return _ticket(await session.get_one(TicketRow, ticket_id)), _reply(row)

    async def close(self, ticket_id: int, agent: str, note: str) -> Ticket | None:
        """Close an active ticket with what was done (kept for the help desk); None if it was
        closed already or is gone."""
        now = utcnow()
        async with self._sessions() as session, session.begin():
            moved = await session.execute(
                update(TicketRow)
                .where(TicketRow.id == ticket_id, TicketRow.status.in_(ACTIVE))
                .values(
                    status=TicketStatus.CLOSED.value,
                    done_by=agent,
                    done_note=note,
                    done_at=now,
                    updated_at=now,
                )
            )
            if moved.rowcount != 1:
                return None
            return _ticket(await session.get_one(TicketRow, ticket_id))

