"""The console's API for the transcripts (会话记录): search lines, list chats, read one.

Who sees what:
- supervisors search every line and chat, and read any conversation;
- agents search only lines marked with their own user name (what they wrote, and what users
  wrote to them while they served them), list only their own chats, and read only
  conversations they served, whole (the bot part before the handoff is what they saw then too).
  An agent's `agent` filter cannot widen that: it is combined with their own name.

Dates are China dates (YYYY-MM-DD, Beijing time), both ends included. Errors carry a Chinese
`detail` the page shows as it is.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from kernel.messages import Role
from kernel.skills import SKILL_TITLES, Skill
from queue_service.agents.accounts import Role as StaffRole
from queue_service.agents.sessions import StaffSession
from queue_service.console import texts
from queue_service.console.auth import Staff
from queue_service.console.search import (
    DEFAULT_PAGE,
    MAX_PAGE,
    ChatQuery,
    LineQuery,
    Period,
    SearchError,
    TranscriptSearch,
)
from queue_service.deps import Transcripts
from queue_service.handoff.chats import DISPOSITION_TITLES, Disposition
from queue_service.services import part

router = APIRouter(prefix="/console/api/search", tags=["console"])

# A conversation longer than this shows its newest lines.
MAX_CONVERSATION_LINES = 1000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

ConversationFilter = Annotated[str | None, Query(max_length=200)]
AgentFilter = Annotated[str | None, Query(max_length=32)]
DateFilter = Annotated[str | None, Query(max_length=20)]
BeforeId = Annotated[int | None, Query(ge=1)]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE)]


Search = Annotated[TranscriptSearch, Depends(part(TranscriptSearch))]


def _day(text: str | None) -> date | None:
    if not text or not text.strip():
        return None
    text = text.strip()
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, texts.BAD_DATE) from exc


def period_of(date_from: str | None, date_to: str | None) -> Period:
    """China dates as the console sends them (YYYY-MM-DD); 422 with the reason otherwise."""
    try:
        return Period(_day(date_from), _day(date_to))
    except SearchError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc


def _own(staff: StaffSession) -> str | None:
    """The user name an agent's results are limited to; None for a supervisor."""
    return None if staff.role is StaffRole.SUPERVISOR else staff.username


def _blank(text: str | None) -> str | None:
    return text.strip() if text and text.strip() else None


@router.get("")
async def search_lines(
    search: Search,
    staff: Staff,
    conversation: ConversationFilter = None,
    agent: AgentFilter = None,
    role: Role | None = None,
    text: Annotated[str | None, Query(max_length=200)] = None,
    date_from: DateFilter = None,
    date_to: DateFilter = None,
    before_id: BeforeId = None,
    limit: PageSize = DEFAULT_PAGE,
) -> dict[str, Any]:
    """Transcript lines matching every filter given, newest first, `limit` at a time.

    `conversation` is an id or its beginning; `text` is found anywhere in a line, ignoring
    case; the next page is asked for with `before_id` = the `next_before` of this one.
    """
    page = await search.lines(
        LineQuery(
            conversation=_blank(conversation),
            agent=_blank(agent),
            role=role,
            text=_blank(text),
            period=period_of(date_from, date_to),
            served_by=_own(staff),
            before_id=before_id,
            limit=limit,
        )
    )
    return {
        "lines": [
            {
                "id": line.id,
                "conversation_id": line.conversation_id,
                "role": line.role.value,
                "text": line.text,
                "agent": line.agent,
                "sender_name": line.sender_name,
                "created_at": line.created_at.isoformat(),
            }
            for line in page.items
        ],
        "next_before": page.next_before,
    }


def _skill_title(skill: str) -> str:
    try:
        return SKILL_TITLES[Skill(skill)]
    except ValueError:
        return skill


def _disposition_title(disposition: str | None) -> str | None:
    if disposition is None:
        return None
    try:
        return DISPOSITION_TITLES[Disposition(disposition)]
    except ValueError:
        return disposition


@router.get("/chats")
async def search_chats(
    search: Search,
    staff: Staff,
    conversation: ConversationFilter = None,
    agent: AgentFilter = None,
    date_from: DateFilter = None,
    date_to: DateFilter = None,
    before_id: BeforeId = None,
    limit: PageSize = DEFAULT_PAGE,
) -> dict[str, Any]:
    """Chats by assignment date, newest first: who served which user, how it ended, the rating."""
    own = _own(staff)
    wanted = _blank(agent)
    if own and wanted and wanted != own:
        return {"chats": [], "next_before": None}
    page = await search.chats(
        ChatQuery(
            conversation=_blank(conversation),
            agent=own or wanted,
            period=period_of(date_from, date_to),
            before_id=before_id,
            limit=limit,
        )
    )
    return {
        "chats": [
            {
                "id": chat.id,
                "conversation_id": chat.conversation_id,
                "skill": chat.skill,
                "skill_title": _skill_title(chat.skill),
                "agent": chat.agent,
                "assigned_at": chat.assigned_at.isoformat(),
                "closed_at": chat.closed_at.isoformat() if chat.closed_at else None,
                "disposition": chat.disposition,
                "disposition_title": _disposition_title(chat.disposition),
                "csat": chat.csat,
            }
            for chat in page.items
        ],
        "next_before": page.next_before,
    }


@router.get("/conversation")
async def conversation(
    search: Search,
    transcripts: Transcripts,
    staff: Staff,
    conversation_id: Annotated[str, Query(min_length=1, max_length=200)],
) -> dict[str, Any]:
    """One whole conversation, oldest line first, to read (not to answer)."""
    own = _own(staff)
    if own and not await search.served(conversation_id, own):
        raise HTTPException(status.HTTP_403_FORBIDDEN, texts.NOT_SERVED)
    lines = await transcripts.history(conversation_id, MAX_CONVERSATION_LINES)
    return {
        "conversation_id": conversation_id,
        "messages": [m.model_dump(mode="json") for m in lines],
    }
