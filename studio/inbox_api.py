"""The inbox of unanswered questions (未知问题) in the studio's API: the period's clusters, the
model's suggestions for one, and what a maintainer does with a cluster.

Maintainers only, like the rest of the studio (an agent gets 403); api.py installs this router
with the console's Origin check. A change refused by the knowledge base's rules answers 422 with
the reason in Chinese, a save over a newer version of the entry 409, as the editor's do.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field

from queue_service.console.auth import Maintainer
from queue_service.services import part
from studio.entries import NotFound
from studio.inbox import PAGE, Inbox, period
from studio.store import Conflict, KnowledgeError

router = APIRouter(prefix="/console/api/knowledge/inbox", tags=["knowledge"])

InboxDep = Annotated[Inbox, Depends(part(Inbox))]
Question = Annotated[str, Field(max_length=300)]
PHRASING_MISSING = "请填写要添加的问法。"
ENTRY_MISSING = "请选择要添加到的条目。"
CONFLICT = "该条目刚被其他人修改，请重试。"
MASKED = "问法中含有已隐去的号码（****），请删去号码后再添加。"


class Suggest(BaseModel):
    text: Question


class Resolve(BaseModel):
    action: Literal["phrasing", "new_entry", "out_of_scope", "ignored"]
    questions: list[Question] = Field(min_length=1, max_length=1000)
    phrasing: str = Field(default="", max_length=200)
    entry_id: str | None = Field(default=None, max_length=40)


@router.get("")
async def clusters(
    staff: Maintainer,
    inbox: InboxDep,
    days: Annotated[int, Query(ge=1, le=366)] = 7,
    limit: Annotated[int, Query(ge=1, le=200)] = PAGE,
) -> dict[str, Any]:
    """The last `days` days' clusters of unanswered questions, most asked first."""
    start, end = period(days)
    return await inbox.clusters(start, end, limit)


@router.post("/suggestions")
async def suggestions(body: Suggest, staff: Maintainer, inbox: InboxDep) -> list[dict[str, Any]]:
    """The three entries the published model ranks first for a question (none without Rasa)."""
    return await inbox.suggestions(body.text)


@router.post("/resolve")
async def resolve(body: Resolve, staff: Maintainer, inbox: InboxDep) -> dict[str, Any]:
    """One click on a cluster: a phrasing of an entry, a new entry (created by the editor),
    out of scope, or ignored; its questions leave the inbox."""
    phrasing = " ".join(body.phrasing.split())
    try:
        if "**" in phrasing and body.action in ("phrasing", "out_of_scope"):
            raise KnowledgeError(MASKED)  # a masked number is no wording a user would type
        if body.action == "phrasing":
            if not body.entry_id:
                raise KnowledgeError(ENTRY_MISSING)
            if not phrasing:
                raise KnowledgeError(PHRASING_MISSING)
            await inbox.add_phrasing(body.entry_id, phrasing, body.questions, staff.username)
        elif body.action == "out_of_scope":
            if not phrasing:
                raise KnowledgeError(PHRASING_MISSING)
            await inbox.out_of_scope(phrasing, body.questions, staff.username)
        else:
            await inbox.mark(body.questions, body.action, staff.username, body.entry_id)
    except NotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except KnowledgeError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    except Conflict as error:
        raise HTTPException(status.HTTP_409_CONFLICT, CONFLICT) from error
    return {"done": body.action, "questions": len(body.questions)}
