"""Publications of the knowledge base in SQL: every version published, refused or failed, and
the model each published version was trained into.

A publication is a snapshot of the knowledge base's files (the studio's export, relative path →
YAML text), what became of it (`State`), the figures and reasons of its evaluation gate, and the
model's name. The models themselves are kept here too (`knowledge_models`), so any service
instance can serve the published model to any Rasa server (queue_service/publishing/model_route
.py) and a rollback needs no training. The published version is the newest row in state
`published` (by `published_at`); a rollback publishes an earlier version's snapshot and model
again, as a new row, so the history reads in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import async_sessionmaker

_metadata = MetaData()
publications = Table(
    "knowledge_publications",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(16), nullable=False),
    # What the publish is doing now, for the maintainer watching it (训练中…).
    Column("progress", String(200), nullable=False, default=""),
    Column("requested_by", String(64), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("published_at", DateTime(timezone=True)),
    # The studio's revision of the knowledge base it was made from, when it came from there.
    Column("revision", Integer),
    # A rollback names the publication it restores.
    Column("restores", Integer),
    Column("snapshot", JSON, nullable=False),
    Column("model", String(64)),
    # The gate's figures (candidate, baseline), the questions whose outcome changed.
    Column("evaluation", JSON),
    Column("reasons", JSON),
    Column("error", Text),
)
models = Table(
    "knowledge_models",
    _metadata,
    Column("name", String(64), primary_key=True),
    Column("archive", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class State(StrEnum):
    QUEUED = "queued"
    TRAINING = "training"
    EVALUATING = "evaluating"
    PUBLISHED = "published"
    REFUSED = "refused"  # the gate said no
    FAILED = "failed"  # invalid snapshot, training or evaluation failed, the service stopped


FINISHED = {State.PUBLISHED, State.REFUSED, State.FAILED}


@dataclass(frozen=True)
class Publication:
    id: int
    state: State
    progress: str
    requested_by: str
    requested_at: datetime
    finished_at: datetime | None
    published_at: datetime | None
    revision: int | None
    restores: int | None
    model: str | None
    evaluation: dict[str, Any] | None
    reasons: list[str]
    error: str | None

    def summary(self) -> dict[str, Any]:
        """What the console shows of it (everything but the snapshot)."""
        return {
            "id": self.id,
            "state": self.state.value,
            "progress": self.progress,
            "requested_by": self.requested_by,
            "requested_at": self.requested_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "revision": self.revision,
            "restores": self.restores,
            "model": self.model,
            "evaluation": self.evaluation,
            "reasons": self.reasons,
            "error": self.error,
        }


_SUMMARY = [c for c in publications.c if c.name != "snapshot"]


def _publication(row: Any) -> Publication:
    values = dict(row._mapping)
    values.pop("snapshot", None)
    values["state"] = State(values["state"])
    values["reasons"] = values["reasons"] or []
    return Publication(**values)


def now() -> datetime:
    return datetime.now(UTC)


class PublicationStore:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def create(
        self,
        snapshot: dict[str, str],
        requested_by: str,
        revision: int | None = None,
        **values: Any,
    ) -> int:
        row = {
            "state": State.QUEUED.value,
            "progress": "",
            "requested_by": requested_by,
            "requested_at": now(),
            "revision": revision,
            "snapshot": snapshot,
            **values,
        }
        async with self._sessions() as db, db.begin():
            result = await db.execute(insert(publications).values(row))
            return int(result.inserted_primary_key[0])

    async def update(self, publication_id: int, **values: Any) -> None:
        if "state" in values:
            values["state"] = State(values["state"]).value
        async with self._sessions() as db, db.begin():
            await db.execute(
                update(publications).where(publications.c.id == publication_id).values(**values)
            )

    async def get(self, publication_id: int) -> Publication | None:
        async with self._sessions() as db:
            row = (
                await db.execute(select(*_SUMMARY).where(publications.c.id == publication_id))
            ).first()
        return _publication(row) if row else None

    async def snapshot(self, publication_id: int) -> dict[str, str]:
        async with self._sessions() as db:
            found = await db.scalar(
                select(publications.c.snapshot).where(publications.c.id == publication_id)
            )
        return dict(found or {})

    async def recent(self, limit: int = 50) -> list[Publication]:
        async with self._sessions() as db:
            rows = await db.execute(
                select(*_SUMMARY).order_by(publications.c.id.desc()).limit(limit)
            )
            return [_publication(row) for row in rows]

    async def published(self) -> Publication | None:
        """The version users are answered from now (None: the repository's, nothing published)."""
        async with self._sessions() as db:
            row = (
                await db.execute(
                    select(*_SUMMARY)
                    .where(publications.c.state == State.PUBLISHED.value)
                    .order_by(publications.c.published_at.desc(), publications.c.id.desc())
                    .limit(1)
                )
            ).first()
        return _publication(row) if row else None

    async def unfinished(self) -> list[Publication]:
        async with self._sessions() as db:
            rows = await db.execute(
                select(*_SUMMARY).where(publications.c.state.not_in([s.value for s in FINISHED]))
            )
            return [_publication(row) for row in rows]

    async def save_model(self, name: str, archive: bytes) -> None:
        async with self._sessions() as db, db.begin():
            exists = await db.scalar(select(models.c.name).where(models.c.name == name))
            if exists is None:
                await db.execute(
                    insert(models).values(name=name, archive=archive, created_at=now())
                )

    async def model_archive(self, name: str) -> bytes | None:
        async with self._sessions() as db:
            return await db.scalar(select(models.c.archive).where(models.c.name == name))
