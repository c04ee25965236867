"""Messages left for the help desk (留言) when nobody can take the user now.

Users leave them outside working hours, when no agent is online, or after waiting too long; an
agent answers later by phone or e-mail and marks the ticket done with a note. The contact is
validated while the user is still in the chat, since a ticket nobody can answer helps no one;
the errors are the words the user sees. The message text is stored with personal numbers masked
like every transcript line; the contact itself is kept as given, because agents call it back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from kernel.messages import utcnow
from kernel.privacy import is_mobile_phone, mask_personal_numbers
from kernel.skills import Skill
from queue_service.db import Ticket as TicketRow
from queue_service.db import as_utc
from queue_service.handoff import texts

MAX_TEXT_CHARS = texts.MAX_TICKET_CHARS
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")



class TicketStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


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
    done_by: str | None = None
    done_note: str | None = None


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


def _ticket(row: TicketRow) -> Ticket:
    return Ticket(
        row.id,
        row.conversation_id,
        Skill(row.skill),
        row.text,
        row.contact,
        TicketStatus(row.status),
        as_utc(row.created_at),
        row.done_by,
        row.done_note,
    )


class TicketStore:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def create(self, conversation_id: str, skill: Skill, text: str, contact: str) -> Ticket:
        row = TicketRow(
            conversation_id=conversation_id,
            skill=skill.value,
            text=mask_personal_numbers(valid_text(text)),
            contact=valid_contact(contact),
            status=TicketStatus.OPEN.value,
            created_at=utcnow(),
        )
        async with self._sessions() as session, session.begin():
            session.add(row)
        return _ticket(row)

    async def with_status(self, status: TicketStatus, limit: int = 100) -> list[Ticket]:
        """Tickets with this status, oldest first (open ones are answered in order)."""
        query = select(TicketRow).where(TicketRow.status == status.value)
        query = query.order_by(TicketRow.id).limit(limit)
        async with self._sessions() as session:
            return [_ticket(row) for row in await session.scalars(query)]

    async def count(self, status: TicketStatus) -> int:
        query = select(func.count()).select_from(TicketRow).where(TicketRow.status == status.value)
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)

    async def mark_done(self, ticket_id: int, agent: str, note: str) -> bool:
        """Close an open ticket with what was done; False if it was not open."""
        statement = (
            update(TicketRow)
            .where(TicketRow.id == ticket_id, TicketRow.status == TicketStatus.OPEN.value)
            .values(status=TicketStatus.DONE.value, done_by=agent, done_note=note, done_at=utcnow())
        )
        async with self._sessions() as session, session.begin():
            return (await session.execute(statement)).rowcount == 1
