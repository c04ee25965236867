"""The console's API for tickets (留言): search them, read one with the conversation behind it,
take it, answer the user in their own channel, close it.

Every agent may read any ticket, and with it the whole conversation the user left it from (the
bot part included): answering a ticket needs it, whoever served the user before. An agent
takes, answers and closes tickets nobody has taken or that are theirs; a supervisor any ticket,
and may give one to any agent. Errors carry a Chinese `detail` the page shows as it is.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field

from kernel.conversation_ids import channel_of
from kernel.skills import SKILL_TITLES, Skill
from queue_service.agents.accounts import Role
from queue_service.agents.sessions import StaffSession
from queue_service.console import texts
from queue_service.console.auth import Staff
from queue_service.console.search_api import DateFilter, period_of
from queue_service.deps import Accounts, Transcripts
from queue_service.handoff.texts import MAX_TICKET_REPLY_CHARS, TICKET_STATUS_TITLES
from queue_service.handoff.ticket_desk import TicketDesk, TicketGone
from queue_service.handoff.tickets import (
    ACTIVE,
    Ticket,
    TicketError,
    TicketFilter,
    TicketStatus,
)
from queue_service.services import part

router = APIRouter(prefix="/console/api/tickets", tags=["console"])

Desk = Annotated[TicketDesk, Depends(part(TicketDesk))]
MAX_PAGE = 100
# Besides each status: every ticket, and every one not closed yet (what the help desk works on).
STATES: dict[str, tuple[TicketStatus, ...]] = {"all": (), "active": ACTIVE}
# The conversation behind a ticket shows its newest lines up to this many.
HISTORY_LINES = 200


class Assign(BaseModel):
    # None: the agent takes it themselves.
    assignee: str | None = Field(default=None, max_length=32)


class Answer(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TICKET_REPLY_CHARS)


class CloseTicket(BaseModel):
    note: str = Field(min_length=1, max_length=1000)


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    identity = ticket.identity
    return {
        "id": ticket.id,
        "conversation_id": ticket.conversation_id,
        "channel": channel_of(ticket.conversation_id),
        "skill": ticket.skill.value,
        "skill_title": SKILL_TITLES[ticket.skill],
        "text": ticket.text,
        "contact": ticket.contact,
        "status": ticket.status.value,
        "status_title": TICKET_STATUS_TITLES[ticket.status.value],
        "identity": identity.label if identity else None,
        "assignee": ticket.assignee,
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat() if ticket.updated_at else None,
        "done_by": ticket.done_by,
        "done_note": ticket.done_note,
    }


def _filter(
    staff: StaffSession,
    state: str,
    skill: Skill | None,
    assignee: str | None,
    date_from: str | None,
    date_to: str | None,
) -> TicketFilter:
    try:
        wanted = STATES[state] if state in STATES else (TicketStatus(state),)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, texts.INVALID_INPUT) from exc
    who = {"me": staff.username, "none": ""}.get(assignee or "", assignee or None)
    since, until = period_of(date_from, date_to).utc_bounds()
    return TicketFilter(wanted, skill, who, since, until)


@router.get("")
async def search(
    staff: Staff,
    desk: Desk,
    state: Annotated[str, Query(max_length=16)] = "active",
    skill: Skill | None = None,
    assignee: Annotated[str | None, Query(max_length=32)] = None,
    date_from: DateFilter = None,
    date_to: DateFilter = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = MAX_PAGE,
) -> dict[str, Any]:
    """Tickets by status (`active`: not closed, the default; `all`), skill, assignee (`me`,
    `none` or a user name) and China dates, oldest first; `total` counts them all."""
    where = _filter(staff, state, skill, assignee, date_from, date_to)
    found, total = await desk.store.search(where, limit=limit, offset=offset)
    return {
        "tickets": [ticket_json(t) for t in found],
        "total": total,
        "skills": [{"id": s.value, "title": SKILL_TITLES[s]} for s in Skill],
    }


@router.get("/{ticket_id}")
async def read(
    ticket_id: int, staff: Staff, desk: Desk, transcripts: Transcripts
) -> dict[str, Any]:
    """One ticket with its answers and the conversation the user left it from."""
    ticket = await desk.store.get(ticket_id)
    if ticket is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, texts.TICKET_NOT_FOUND)
    history = await transcripts.history(ticket.conversation_id, HISTORY_LINES)
    return {
        **ticket_json(ticket),
        "replies": [
            {
                "author": r.author,
                "author_name": r.author_name,
                "text": r.text,
                "created_at": r.created_at.isoformat(),
            }
            for r in await desk.store.replies(ticket_id)
        ],
        "history": [m.model_dump(mode="json") for m in history],
    }


async def _workable(desk: TicketDesk, ticket_id: int, staff: StaffSession) -> Ticket:
    """The ticket, if this agent may act on it: nobody's or theirs (a supervisor: any)."""
    ticket = await desk.store.get(ticket_id)
    if ticket is None or ticket.status is TicketStatus.CLOSED:
        raise HTTPException(status.HTTP_409_CONFLICT, texts.TICKET_GONE)
    mine = ticket.assignee in (None, staff.username)
    if not mine and staff.role is not Role.SUPERVISOR:
        raise HTTPException(status.HTTP_403_FORBIDDEN, texts.TICKET_NOT_YOURS)
    return ticket


@router.post("/{ticket_id}/assign")
async def assign(
    ticket_id: int, body: Assign, staff: Staff, desk: Desk, accounts: Accounts
) -> dict[str, Any]:
    await _workable(desk, ticket_id, staff)
    username = (body.assignee or staff.username).lower()
    if username != staff.username and staff.role is not Role.SUPERVISOR:
        raise HTTPException(status.HTTP_403_FORBIDDEN, texts.SUPERVISORS_ONLY)
    account = await accounts.get(username)
    if account is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, texts.NO_SUCH_AGENT)
    try:
        ticket = await desk.assign(ticket_id, account.username, account.display_name)
    except TicketGone as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, texts.TICKET_GONE) from exc
    return ticket_json(ticket)


@router.post("/{ticket_id}/reply")
async def reply(ticket_id: int, body: Answer, staff: Staff, desk: Desk) -> dict[str, Any]:
    await _workable(desk, ticket_id, staff)
    try:
        ticket, _, sent = await desk.reply(
            ticket_id, staff.username, staff.display_name, body.text
        )
    except TicketError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    except TicketGone as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, texts.TICKET_GONE) from exc
    return {**ticket_json(ticket), "sent": sent}


@router.post("/{ticket_id}/close")
async def close(ticket_id: int, body: CloseTicket, staff: Staff, desk: Desk) -> dict[str, Any]:
    await _workable(desk, ticket_id, staff)
    try:
        ticket = await desk.close(ticket_id, staff.username, body.note)
    except TicketGone as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, texts.TICKET_GONE) from exc
    return ticket_json(ticket)
