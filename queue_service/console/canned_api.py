"""The console's API for canned responses (常用语).

Every member of staff reads the team's list (agents insert entries into their replies); only
supervisors add, change or delete the team's entries, so that what the team says stays
reviewed. Anyone may keep personal entries (`personal`), which only they see and change; another
person's personal entry does not exist for them (404). Errors carry a Chinese `detail` the page
shows as it is.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from pydantic import BaseModel, Field

from kernel.skills import SKILL_TITLES, Skill
from queue_service.agents.accounts import Role
from queue_service.agents.sessions import StaffSession
from queue_service.console import texts
from queue_service.console.auth import Staff
from queue_service.console.canned import (
    MAX_QUERY_CHARS,
    Canned,
    CannedError,
    CannedStore,
    Draft,
    DuplicateShortcut,
    draft,
)
from queue_service.services import part

router = APIRouter(prefix="/console/api/canned", tags=["console"])


class CannedBody(BaseModel):
    # Generous bounds that only cap the request size; the store checks the real limits and
    # says what is wrong in words a supervisor understands.
    shortcut: str = Field(max_length=200)
    title: str = Field(max_length=400)
    text: str = Field(max_length=8000)
    skill: Skill | None = None
    # Only the author's (on creation; an entry stays what it was made as).
    personal: bool = False


Store = Annotated[CannedStore, Depends(part(CannedStore))]


def _json(entry: Canned) -> dict[str, Any]:
    return {
        "id": entry.id,
        "shortcut": entry.shortcut,
        "title": entry.title,
        "text": entry.text,
        "skill": entry.skill.value if entry.skill else None,
        "skill_title": SKILL_TITLES[entry.skill] if entry.skill else texts.ALL_SKILLS,
        "created_by": entry.created_by,
        "updated_at": entry.updated_at.isoformat(),
        "personal": entry.owner is not None,
    }


def _draft(body: CannedBody) -> Draft:
    try:
        return draft(body.shortcut, body.title, body.text, body.skill)
    except CannedError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc


@router.get("")
async def list_canned(
    store: Store,
    staff: Staff,
    q: Annotated[str | None, Query(max_length=MAX_QUERY_CHARS)] = None,
    skill: Skill | None = None,
) -> dict[str, Any]:
    """Entries by shortcut, matching `q` if given; with `skill`, those a chat of it may use.

    The skills come along so that the page can offer them without a list of its own.
    """
    entries = await store.list(q, skill, viewer=staff.username)
    return {
        "canned": [_json(e) for e in entries],
        "skills": [{"id": s.value, "title": t} for s, t in SKILL_TITLES.items()],
    }


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_canned(body: CannedBody, store: Store, staff: Staff) -> dict[str, Any]:
    if not body.personal and staff.role is not Role.SUPERVISOR:
        raise HTTPException(status.HTTP_403_FORBIDDEN, texts.SUPERVISORS_ONLY)
    owner = staff.username if body.personal else None
    try:
        entry = await store.create(_draft(body), staff.username, owner)
    except DuplicateShortcut as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return _json(entry)


async def _changeable(store: CannedStore, canned_id: int, staff: StaffSession) -> Canned:
    """The entry, if this person may change it: their own, or the team's for a supervisor."""
    entry = await store.get(canned_id)
    if entry is None or (entry.owner is not None and entry.owner != staff.username):
        raise HTTPException(status.HTTP_404_NOT_FOUND, texts.CANNED_NOT_FOUND)
    if entry.owner is None and staff.role is not Role.SUPERVISOR:
        raise HTTPException(status.HTTP_403_FORBIDDEN, texts.SUPERVISORS_ONLY)
    return entry


@router.put("/{canned_id}")
async def update_canned(
    canned_id: int, body: CannedBody, store: Store, staff: Staff
) -> dict[str, Any]:
    await _changeable(store, canned_id, staff)
    try:
        entry = await store.update(canned_id, _draft(body))
    except DuplicateShortcut as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    if entry is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, texts.CANNED_NOT_FOUND)
    return _json(entry)


@router.delete("/{canned_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_canned(canned_id: int, store: Store, staff: Staff) -> Response:
    await _changeable(store, canned_id, staff)
    if not await store.delete(canned_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, texts.CANNED_NOT_FOUND)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
