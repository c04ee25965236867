"""发布 in the knowledge studio: publish the knowledge base as it is now, watch the publish,
see why one was refused, roll back to an earlier published version.

The snapshot is the studio's export of the current revision (studio/exchange.py) with the
repository's subject checks beside it (they stay developers' files); the publisher
(queue_service/publishing) trains, gates and publishes it. Maintainers only, like the rest of
the studio's API (api.py installs this router with the same Origin check).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status

from actions.faq.knowledge import KNOWLEDGE_DIR
from kernel.clock import CHINA_TZ
from queue_service.console.auth import Maintainer
from queue_service.publishing.publisher import PublishBusy, Publisher
from queue_service.publishing.store import FINISHED, PublicationStore
from queue_service.services import part
from studio.entries import Entries
from studio.exchange import render_files

router = APIRouter(prefix="/console/api/knowledge", tags=["knowledge"])

PublisherDep = Annotated[Publisher, Depends(part(Publisher))]
PublicationsDep = Annotated[PublicationStore, Depends(part(PublicationStore))]
EntriesDep = Annotated[Entries, Depends(part(Entries))]


def _local(moment: datetime | None) -> str | None:
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if moment else None


BUSY = "已有一次发布正在进行，请等它完成后再发布。"
SUBJECTS_FILE = "subjects.yml"


async def snapshot(entries: Entries) -> tuple[dict[str, str], int | None]:
    """The knowledge base's files as of its newest revision, and that revision."""
    newest = await entries.store.revisions(limit=1)
    files = render_files(stored.item for stored in await entries.store.current())
    subjects = KNOWLEDGE_DIR / SUBJECTS_FILE
    if subjects.exists():
        files[SUBJECTS_FILE] = subjects.read_text(encoding="utf-8")
    return files, newest[0].id if newest else None


@router.post("/publish", status_code=status.HTTP_202_ACCEPTED)
async def publish(
    staff: Maintainer, entries: EntriesDep, publisher: PublisherDep
) -> dict[str, Any]:
    files, revision = await snapshot(entries)
    try:
        publication = await publisher.start(files, staff.username, revision)
    except PublishBusy as error:
        raise HTTPException(status.HTTP_409_CONFLICT, BUSY) from error
    return {"id": publication}


@router.get("/publications")
async def publications(staff: Maintainer, store: PublicationsDep) -> dict[str, Any]:
    published = await store.published()
    recent = await store.recent(limit=30)
    return {
        "current": published.id if published else None,
        "running": any(p.state not in FINISHED for p in recent),
        "items": [{**p.summary(), "published_local": _local(p.published_at)} for p in recent],
    }


@router.post("/publications/{publication_id}/rollback")
async def rollback(
    publication_id: int, staff: Maintainer, publisher: PublisherDep
) -> dict[str, Any]:
    try:
        restored = await publisher.rollback(publication_id, staff.username)
    except LookupError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "没有这个已发布的版本。") from error
    except PublishBusy as error:
        raise HTTPException(status.HTTP_409_CONFLICT, BUSY) from error
    return {"id": restored}
