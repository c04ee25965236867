"""The knowledge studio's page and JSON API (/console/knowledge, /console/api/knowledge/…).

Maintainers only (a maintainer account, or a supervisor given the studio): anonymous requests
get 401, other staff 403, and state-changing requests from a foreign Origin are refused like
the rest of the console's (pages.py installs `same_origin` on this router too). Errors carry a
Chinese `detail` the page shows as it is; a save over a newer version answers 409 with the
entry's current version, so nothing either maintainer wrote is lost.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from kernel.clock import CHINA_TZ
from queue_service.console.auth import Maintainer
from queue_service.console.origin import same_origin
from queue_service.console.pages import STATIC_DIR
from queue_service.page_policy import content_security_policy
from queue_service.services import part
from queue_service.static_files import REVALIDATE
from studio import inbox_api, publishing_api, texts
from studio.entries import Entries, NotFound
from studio.exchange import CATEGORY, ENTRY, Item
from studio.inbox import Inbox
from studio.preview import preview
from studio.store import Conflict, KnowledgeError, Stored

router = APIRouter(prefix="/console/api/knowledge", tags=["knowledge"])
pages = APIRouter()

EntriesDep = Annotated[Entries, Depends(part(Entries))]
InboxDep = Annotated[Inbox, Depends(part(Inbox))]
MAX_LIST = 1000
Phrasing = Annotated[str, Field(max_length=200)]


class Draft(BaseModel):
    title: str = Field(default="", max_length=100)
    answer: str = Field(default="", max_length=2000)
    phrasings: list[Phrasing] = Field(default_factory=list, max_length=300)
    heldout: list[Phrasing] = Field(default_factory=list, max_length=100)
    related: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=10)
    topic: str | None = Field(default=None, max_length=40)
    subject: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=10)
    category: str | None = Field(default=None, max_length=40)
    # 1-based place among the category's entries (hot questions break ties in this order).
    rank: int | None = Field(default=None, ge=1, le=10_000)


class Save(Draft):
    base_version: int = Field(ge=1)


class Create(Draft):
    id: str = Field(max_length=40)


class Based(BaseModel):
    base_version: int = Field(ge=1)


class Phrasings(BaseModel):
    entry_id: str | None = Field(default=None, max_length=40)
    phrasings: list[Phrasing] = Field(max_length=300)


class PreviewBody(BaseModel):
    entry_id: str = Field(default="new", max_length=40)
    title: str = Field(default="", max_length=100)
    answer: str = Field(default="", max_length=2000)
    related: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=10)


def _local(moment: Any) -> str | None:
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S") if moment else None


def _ranks(entries: list[Stored]) -> dict[str, int]:
    """Each active entry's 1-based place in its category."""
    ranks: dict[str, int] = {}
    counts: dict[str | None, int] = {}
    for stored in entries:
        if not stored.item.retired:
            counts[stored.item.category] = counts.get(stored.item.category, 0) + 1
            ranks[stored.item.key] = counts[stored.item.category]
    return ranks


def _summary(stored: Stored, ranks: dict[str, int]) -> dict[str, Any]:
    data = stored.item.data
    return {
        "id": stored.item.key,
        "title": data.get("title", ""),
        "category": stored.item.category,
        "rank": ranks.get(stored.item.key),
        "retired": stored.item.retired,
        "version": stored.version,
        "phrasings": len(data.get("phrasings", [])),
    }


def _entry_json(stored: Stored, ranks: dict[str, int], titles: dict[str, str]) -> dict[str, Any]:
    data = stored.item.data
    return {
        **_summary(stored, ranks),
        "answer": data.get("answer", ""),
        "phrasings": list(data.get("phrasings", [])),
        "heldout": list(data.get("heldout", [])),
        "fresh": len(data.get("fresh", [])),
        "related": [{"id": r, "title": titles.get(r, r)} for r in data.get("related", [])],
        "topic": data.get("topic"),
        "subject": list(data.get("subject", [])),
    }


async def _context(entries: Entries) -> tuple[list[Stored], dict[str, int], dict[str, str]]:
    current = await entries.store.current(ENTRY)
    titles = {s.item.key: s.item.data.get("title", s.item.key) for s in current}
    return current, _ranks(current), titles


async def _full(entries: Entries, stored: Stored) -> dict[str, Any]:
    _, ranks, titles = await _context(entries)
    return _entry_json(stored, ranks, titles)


async def _conflict(entries: Entries, conflict: Conflict) -> JSONResponse:
    current = conflict.current
    if current is None:
        return JSONResponse({"detail": texts.NOT_FOUND}, status_code=404)
    detail = texts.CONFLICT.format(
        author=conflict.author, when=_local(conflict.when) or "", version=current.version
    )
    body = {"detail": detail, "current": await _full(entries, current)}
    return JSONResponse(body, status_code=status.HTTP_409_CONFLICT)


@router.get("/me")
async def me(staff: Maintainer) -> dict[str, Any]:
    return {
        "username": staff.username,
        "display_name": staff.display_name,
        "role": staff.role.value,
    }


@router.get("/categories")
async def categories(staff: Maintainer, entries: EntriesDep) -> list[dict[str, Any]]:
    current = await entries.store.current(ENTRY)
    counted: dict[str | None, int] = {}
    for stored in current:
        if not stored.item.retired:
            counted[stored.item.category] = counted.get(stored.item.category, 0) + 1
    return [
        {"id": c.item.key, "title": c.item.data["title"], "entries": counted.get(c.item.key, 0)}
        for c in await entries.store.current(CATEGORY)
        if not c.item.retired
    ]


def _matches(item: Item, needle: str) -> bool:
    data = item.data
    texts_ = [item.key, data.get("title", ""), data.get("answer", ""), *data.get("phrasings", [])]
    return any(needle in t.lower() for t in texts_)


@router.get("/entries")
async def list_entries(
    staff: Maintainer,
    entries: EntriesDep,
    category: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str, Query(max_length=100)] = "",
    retired: bool = False,
) -> list[dict[str, Any]]:
    """Entries in curated order (by category), found by id, title, answer or phrasing."""
    current, ranks, _ = await _context(entries)
    order = {c.item.key: n for n, c in enumerate(await entries.store.current(CATEGORY))}
    needle = q.strip().lower()
    chosen = [
        s
        for s in current
        if (category is None or s.item.category == category)
        and s.item.retired == retired
        and (not needle or _matches(s.item, needle))
    ]
    chosen.sort(key=lambda s: (order.get(s.item.category or "", 999), s.item.position))
    return [_summary(s, ranks) for s in chosen[:MAX_LIST]]


@router.get("/entries/{entry_id}")
async def get_entry(entry_id: str, staff: Maintainer, entries: EntriesDep) -> dict[str, Any]:
    try:
        return await _full(entries, await entries.get(entry_id))
    except NotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error


def _draft(body: Draft) -> dict[str, Any]:
    """The fields the request sent (a field left out keeps its value)."""
    fields = {"title", "answer", "phrasings", "heldout", "related", "topic", "subject"}
    return body.model_dump(include=fields, exclude_unset=True)


async def _changed(entries: Entries, change: Awaitable[Stored]) -> dict[str, Any] | JSONResponse:
    """The entry as a change left it; 404, 422 (a rule, in Chinese) or 409 (a newer version,
    sent along) when it was refused."""
    try:
        stored = await change
    except NotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except KnowledgeError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    except Conflict as conflict:
        return await _conflict(entries, conflict)
    return await _full(entries, stored)


@router.put("/entries/{entry_id}", response_model=None)
async def save_entry(
    entry_id: str, body: Save, staff: Maintainer, entries: EntriesDep
) -> dict[str, Any] | JSONResponse:
    return await _changed(
        entries,
        entries.save(
            entry_id, _draft(body), body.base_version, staff.username, body.category, body.rank
        ),
    )


@router.post("/entries", status_code=status.HTTP_201_CREATED, response_model=None)
async def create_entry(
    body: Create, staff: Maintainer, entries: EntriesDep
) -> dict[str, Any] | JSONResponse:
    if not body.category:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, texts.NO_SUCH_CATEGORY.format(category="")
        )
    created = entries.create(
        body.id.strip(), _draft(body), body.category, staff.username, body.rank
    )
    return await _changed(entries, created)


@router.post("/entries/{entry_id}/retire", response_model=None)
async def retire(
    entry_id: str, body: Based, staff: Maintainer, entries: EntriesDep
) -> dict[str, Any] | JSONResponse:
    change = entries.set_retired(entry_id, True, body.base_version, staff.username)
    return await _changed(entries, change)


@router.post("/entries/{entry_id}/restore", response_model=None)
async def restore(
    entry_id: str, body: Based, staff: Maintainer, entries: EntriesDep
) -> dict[str, Any] | JSONResponse:
    change = entries.set_retired(entry_id, False, body.base_version, staff.username)
    return await _changed(entries, change)


ACTION_TITLES = {
    "import": "导入",
    "edit": "修改",
    "create": "新建",
    "retire": "停用",
    "restore": "恢复",
    "revert": "恢复到历史版本",
    "rollback": "整体回滚",
}


def _field_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """Field by field: texts before and after, lists as what was added and removed."""
    before = before or {}
    changes = []
    for field in ("title", "answer", "topic", "subject", "related", "phrasings", "heldout"):
        old, new = before.get(field), after.get(field)
        if old == new:
            continue
        if isinstance(new, list) or isinstance(old, list):
            old_list, new_list = list(old or []), list(new or [])
            changes.append(
                {
                    "field": field,
                    "added": [v for v in new_list if v not in old_list],
                    "removed": [v for v in old_list if v not in new_list],
                }
            )
        else:
            changes.append({"field": field, "before": old, "after": new})
    return changes


@router.get("/entries/{entry_id}/history")
async def history(entry_id: str, staff: Maintainer, entries: EntriesDep) -> list[dict[str, Any]]:
    versions = await entries.store.history(ENTRY, entry_id)
    if not versions:
        raise HTTPException(status.HTTP_404_NOT_FOUND, texts.NOT_FOUND)
    shown = []
    for index, (stored, revision) in enumerate(versions):
        previous = versions[index + 1][0] if index + 1 < len(versions) else None
        changes = _field_changes(previous.item.data if previous else None, stored.item.data)
        if previous and previous.item.category != stored.item.category:
            changes.append(
                {
                    "field": "category",
                    "before": previous.item.category,
                    "after": stored.item.category,
                }
            )
        shown.append(
            {
                "version": stored.version,
                "revision": revision.id,
                "author": revision.author,
                "action": revision.action,
                "action_title": ACTION_TITLES.get(revision.action, revision.action),
                "at": _local(revision.created_at),
                "retired": stored.item.retired,
                "changes": changes,
            }
        )
    return shown


@router.post("/entries/{entry_id}/versions/{version}/restore", response_model=None)
async def restore_version(
    entry_id: str, version: int, body: Based, staff: Maintainer, entries: EntriesDep
) -> dict[str, Any] | JSONResponse:
    change = entries.restore_version(entry_id, version, body.base_version, staff.username)
    return await _changed(entries, change)


@router.post("/duplicates")
async def duplicates(
    body: Phrasings, staff: Maintainer, entries: EntriesDep, inbox: InboxDep
) -> list[dict]:
    """Phrasings that already belong to another entry (flagged before saving), and new ones
    the published model answers with another entry (`model`: a warning, saving is allowed)."""
    found = await entries.duplicates(body.entry_id, body.phrasings)
    taken = [
        {"phrasing": d.phrasing, "entry_id": d.owner, "title": d.title, "model": False}
        for d in found
    ]
    owned = {d.phrasing for d in found}
    rest = [p for p in body.phrasings if p.strip() not in owned]
    elsewhere = await inbox.sent_elsewhere(body.entry_id, rest)
    return taken + [
        {
            "phrasing": e["phrasing"],
            "entry_id": e["id"],
            "title": e["title"],
            "confidence": e["confidence"],
            "model": True,
        }
        for e in elsewhere
    ]


@router.post("/preview")
async def preview_answer(
    body: PreviewBody, staff: Maintainer, entries: EntriesDep
) -> dict[str, Any]:
    _, _, titles = await _context(entries)
    draft = {"title": body.title, "answer": body.answer, "related": body.related}
    return preview(body.entry_id, draft, titles)


@router.get("/revisions")
async def revisions(staff: Maintainer, entries: EntriesDep) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "author": r.author,
            "action": r.action,
            "action_title": ACTION_TITLES.get(r.action, r.action),
            "note": r.note,
            "at": _local(r.created_at),
        }
        for r in await entries.store.revisions()
    ]


@router.post("/revisions/{revision_id}/rollback")
async def rollback(revision_id: int, staff: Maintainer, entries: EntriesDep) -> dict[str, Any]:
    """The whole base back to how it was right after a revision (a new revision)."""
    try:
        done = await entries.store.rollback(revision_id, staff.username)
    except KnowledgeError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    return {"revision": done.id if done else None}


@pages.get("/console/knowledge", include_in_schema=False)
# The page itself is public like /console: it shows the login until a session answers.
async def studio_page(request: Request) -> FileResponse:
    policy = content_security_policy(request.headers.get("host", ""))
    headers = {"Content-Security-Policy": policy, **REVALIDATE}
    return FileResponse(STATIC_DIR / "knowledge.html", headers=headers)


def install(app: FastAPI) -> None:
    """The page and the API, every API route refusing a foreign Origin as the console does."""
    app.include_router(pages)
    app.include_router(router, dependencies=[Depends(same_origin)])
    app.include_router(publishing_api.router, dependencies=[Depends(same_origin)])
    app.include_router(inbox_api.router, dependencies=[Depends(same_origin)])
