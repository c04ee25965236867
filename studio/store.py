"""The knowledge base in SQL: current items, every version of each, and the revisions.

Every change is one revision (author, time, action) and a new version of each item it touched;
`kb_items` holds the current version of each item. Changes are made one at a time: a change
first locks the base's one `kb_head` row (an UPDATE, which SQLite and PostgreSQL both serialise),
then checks the versions the maintainer started from (an entry changed meanwhile is a
`Conflict` carrying its current version: nothing is overwritten), validates the whole base with
the change by the loader's rules (actions/faq/knowledge.py), and writes. So no two changes can
together break a rule each passed alone (the same phrasing added to two entries at once).

The base as it was after any revision is the newest version of each item at or before it, so
an entry and the whole base can be diffed and rolled back to any revision; a rollback is itself
a new revision, never a deletion of history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from actions.faq.knowledge import (
    KNOWLEDGE_DIR,
    Category,
    Entry,
    KnowledgeBase,
    OutOfScope,
    SubjectCheck,
    normalise,
)
from kernel.messages import utcnow
from kernel.sql import as_utc
from studio import tables, texts
from studio.exchange import CATEGORY, ENTRY, OUT_OF_SCOPE, POSITION_STEP, Item

SYSTEM_AUTHOR = "system"
Key = tuple[str, str]


class KnowledgeError(ValueError):
    """A change the knowledge base's rules refuse; the message is for the maintainer."""


class Conflict(Exception):
    """The item changed since the maintainer read it: the current version, for them to see."""

    def __init__(self, current: Stored | None, author: str, when: datetime | None) -> None:
        super().__init__("conflict")
        self.current = current
        self.author = author
        self.when = when


@dataclass(frozen=True)
class Stored:
    """An item at one of its versions, with the revision that wrote it."""

    item: Item
    version: int
    revision_id: int

    @property
    def key(self) -> Key:
        return (self.item.kind, self.item.key)


@dataclass(frozen=True)
class Revision:
    id: int
    author: str
    action: str
    note: str | None
    created_at: datetime


@dataclass(frozen=True)
class Change:
    """What one revision (or a range of them) did to one item."""

    kind: str
    key: str
    before: Item | None
    after: Item | None


def _stored(row: Any) -> Stored:
    item = Item(row.kind, row.key, row.data, row.category, row.position, row.retired, row.fragment)
    return Stored(item, row.version, row.revision_id)


def _row(item: Item, version: int, revision_id: int) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "key": item.key,
        "version": version,
        "revision_id": revision_id,
        "category": item.category,
        "position": item.position,
        "retired": item.retired,
        "data": item.data,
        "fragment": item.fragment,
    }


def _revision(row: Any) -> Revision:
    return Revision(row.id, row.author, row.action, row.note, as_utc(row.created_at))


def read_subjects(folder: Path = KNOWLEDGE_DIR) -> tuple[SubjectCheck, ...]:
    """The subject checks stay a repository file (developers' NLU rules, never trained)."""
    path = folder / "subjects.yml"
    if not path.exists():
        return ()
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return tuple(SubjectCheck.model_validate(s) for s in raw)


def _active(items: Iterable[Item], kind: str) -> list[Item]:
    chosen = (i for i in items if i.kind == kind and not i.retired)
    return sorted(chosen, key=lambda i: (i.position, i.key))


def knowledge_base(items: Iterable[Item], subjects: tuple[SubjectCheck, ...]) -> KnowledgeBase:
    """The items as the loader's KnowledgeBase; KnowledgeError (in Chinese) if a rule fails.
    Entries go in category order, then curated order, as the loader reads the files."""
    items = list(items)
    try:
        categories = [Category.model_validate(c.data) for c in _active(items, CATEGORY)]
        order = {c.id: n for n, c in enumerate(categories)}
        active = _active(items, ENTRY)
        for item in active:
            if item.category not in order:
                raise KnowledgeError(texts.NO_SUCH_CATEGORY.format(category=item.category))
        active.sort(key=lambda i: order[i.category or ""])  # stable: curated order kept
        lists = {i.key: i.data["values"] for i in _active(items, OUT_OF_SCOPE)}
        return KnowledgeBase(
            categories=tuple(categories),
            entries=tuple(map(_entry, active)),
            out_of_scope=OutOfScope.model_validate(lists),
            subjects=subjects,
        )
    except KnowledgeError:
        raise
    except ValidationError as error:
        raise KnowledgeError(texts.validation_text(error)) from error
    except ValueError as error:
        raise KnowledgeError(texts.rule_text(str(error))) from error


def _entry(item: Item) -> Entry:
    try:
        return Entry.model_validate({**item.data, "category": item.category})
    except ValidationError as error:
        text = texts.validation_text(error)
        raise KnowledgeError(f"{item.data.get('title') or item.key}：{text}") from error


def check_entry(item: Item) -> None:
    """The entry's own rules (lengths, counts, held-out phrasings not trained), in Chinese."""
    if not str(item.data.get("title", "")).strip():
        raise KnowledgeError(texts.TITLE_EMPTY)
    if not str(item.data.get("answer", "")).strip():
        raise KnowledgeError(texts.ANSWER_EMPTY)
    try:
        Entry.model_validate({**item.data, "category": item.category})
    except ValidationError as error:
        raise KnowledgeError(texts.validation_text(error)) from error


def owners(items: Iterable[Item]) -> dict[str, str]:
    """Normalised phrasing -> the active entry (or "out_of_scope") it belongs to."""
    owner: dict[str, str] = {}
    for item in items:
        if item.retired:
            continue
        if item.kind == ENTRY:
            for field in ("phrasings", "heldout", "fresh"):
                for phrasing in item.data.get(field, []):
                    owner.setdefault(normalise(phrasing), item.key)
        elif item.kind == OUT_OF_SCOPE:
            for phrasing in item.data["values"]:
                owner.setdefault(normalise(phrasing), OUT_OF_SCOPE)
    return owner


class KnowledgeStore:
    def __init__(
        self, engine: AsyncEngine, subjects: tuple[SubjectCheck, ...] | None = None
    ) -> None:
        self._engine = engine
        self._subjects = read_subjects() if subjects is None else subjects

    # Reading.

    async def is_empty(self) -> bool:
        async with self._engine.connect() as connection:
            count = await connection.scalar(select(func.count()).select_from(tables.items))
        return not count

    async def current(self, kind: str | None = None) -> list[Stored]:
        query = select(tables.items)
        if kind is not None:
            query = query.where(tables.items.c.kind == kind)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return sorted(map(_stored, rows), key=lambda s: (s.item.position, s.item.key))

    async def get(self, kind: str, key: str) -> Stored | None:
        query = select(tables.items).where(tables.items.c.kind == kind, tables.items.c.key == key)
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return _stored(row) if row else None

    async def history(self, kind: str, key: str) -> list[tuple[Stored, Revision]]:
        """Every version of an item, newest first, with the revision that wrote it."""
        v, r = tables.versions, tables.revisions
        query = (
            select(v, r.c.author, r.c.action, r.c.note, r.c.created_at)
            .join(r, r.c.id == v.c.revision_id)
            .where(v.c.kind == kind, v.c.key == key)
            .order_by(v.c.version.desc())
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [
            (
                _stored(row),
                Revision(row.revision_id, row.author, row.action, row.note, as_utc(row.created_at)),
            )
            for row in rows
        ]

    async def version(self, kind: str, key: str, version: int) -> Stored | None:
        v = tables.versions
        query = select(v).where(v.c.kind == kind, v.c.key == key, v.c.version == version)
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return _stored(row) if row else None

    async def revisions(self, limit: int = 50) -> list[Revision]:
        query = select(tables.revisions).order_by(tables.revisions.c.id.desc()).limit(limit)
        async with self._engine.connect() as connection:
            return [_revision(row) for row in (await connection.execute(query)).all()]

    async def revision(self, revision_id: int) -> Revision | None:
        query = select(tables.revisions).where(tables.revisions.c.id == revision_id)
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return _revision(row) if row else None

    async def state_at(self, revision_id: int) -> list[Stored]:
        """The base as it was right after a revision: each item's newest version up to it."""
        v = tables.versions
        newest = (
            select(v.c.kind, v.c.key, func.max(v.c.version).label("version"))
            .where(v.c.revision_id <= revision_id)
            .group_by(v.c.kind, v.c.key)
            .subquery()
        )
        query = select(v).join(
            newest,
            (v.c.kind == newest.c.kind)
            & (v.c.key == newest.c.key)
            & (v.c.version == newest.c.version),
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return sorted(map(_stored, rows), key=lambda s: (s.item.position, s.item.key))

    async def diff(self, from_revision: int, to_revision: int) -> list[Change]:
        """What changed between two revisions of the base (items whose content differs)."""
        before = {s.key: s.item for s in await self.state_at(from_revision)}
        after = {s.key: s.item for s in await self.state_at(to_revision)}
        changes = []
        for key in sorted(before.keys() | after.keys()):
            old, new = before.get(key), after.get(key)
            if old is None or new is None or not old.same_content(new):
                changes.append(Change(key[0], key[1], old, new))
        return changes

    async def knowledge(self) -> KnowledgeBase:
        """The current base as the loader's model (what export writes and the bot would use)."""
        return knowledge_base([s.item for s in await self.current()], self._subjects)

    # Writing.

    async def commit(
        self,
        changes: list[Item],
        author: str,
        action: str,
        expected: dict[Key, int | None] | None = None,
        note: str | None = None,
    ) -> Revision | None:
        """Write `changes` as one revision, if the items in `expected` still have those
        versions (None: must not exist) and the base with the changes passes the rules.
        Items whose content is unchanged are left alone; nothing to write: None."""
        async with self._engine.begin() as connection:
            await self._lock(connection)
            rows = (await connection.execute(select(tables.items))).all()
            current = {(row.kind, row.key): _stored(row) for row in rows}
            for key, version in (expected or {}).items():
                found = current.get(key)
                if (found.version if found else None) != version:
                    raise await self._conflict(connection, found)
            changed = [
                item
                for item in changes
                if (item.kind, item.key) not in current
                or not current[(item.kind, item.key)].item.same_content(item)
            ]
            if not changed:
                return None
            merged = {key: stored.item for key, stored in current.items()}
            merged.update({(item.kind, item.key): item for item in changed})
            knowledge_base(merged.values(), self._subjects)
            now = utcnow()
            revision_id = (
                await connection.execute(
                    insert(tables.revisions).values(
                        author=author, action=action, note=note, created_at=now
                    )
                )
            ).inserted_primary_key[0]
            for item in changed:
                old = current.get((item.kind, item.key))
                row = _row(item, old.version + 1 if old else 1, revision_id)
                await connection.execute(insert(tables.versions).values(**row))
                if old is None:
                    await connection.execute(insert(tables.items).values(**row))
                else:
                    await connection.execute(
                        update(tables.items)
                        .where(tables.items.c.kind == item.kind, tables.items.c.key == item.key)
                        .values(**row)
                    )
            await connection.execute(
                update(tables.head).where(tables.head.c.id == 1).values(revision_id=revision_id)
            )
        return Revision(revision_id, author, action, note, now)

    async def _lock(self, connection: AsyncConnection) -> None:
        """Take the base's write lock: one change at a time, on SQLite and PostgreSQL alike."""
        statement = (
            update(tables.head)
            .where(tables.head.c.id == 1)
            .values(revision_id=tables.head.c.revision_id)
        )
        await connection.execute(statement)

    async def _conflict(self, connection: AsyncConnection, found: Stored | None) -> Conflict:
        if found is None:
            return Conflict(None, "", None)
        query = select(tables.revisions).where(tables.revisions.c.id == found.revision_id)
        row = (await connection.execute(query)).first()
        return Conflict(found, row.author if row else "", as_utc(row.created_at) if row else None)

    async def import_items(self, items: list[Item], author: str = SYSTEM_AUTHOR) -> Revision | None:
        """Make the base what a folder says (exchange.read_folder): changed items get a new
        version, items the folder no longer has are retired (history kept). One revision."""
        incoming = {(i.kind, i.key): i for i in items}
        changes = list(items)
        for stored in await self.current():
            if stored.key not in incoming and not stored.item.retired:
                changes.append(replace(stored.item, retired=True))
        return await self.commit(changes, author, "import")

    async def rollback(self, revision_id: int, author: str) -> Revision | None:
        """Make the whole base what it was right after `revision_id`, as a new revision."""
        if await self.revision(revision_id) is None:
            raise KnowledgeError(texts.REVISION_NOT_FOUND.format(revision=revision_id))
        then = {s.key: s.item for s in await self.state_at(revision_id)}
        changes = list(then.values())
        for stored in await self.current():
            if stored.key not in then and not stored.item.retired:
                changes.append(replace(stored.item, retired=True))
        return await self.commit(changes, author, "rollback", note=f"#{revision_id}")


def position_for(rank: int, others: list[Item]) -> tuple[int, list[Item]]:
    """A position that puts an item at `rank` (1-based) among the other items of its file, and
    the others renumbered when there is no room between the two neighbours."""
    others = sorted(others, key=lambda i: (i.position, i.key))
    index = max(0, min(rank - 1, len(others)))
    low = others[index - 1].position if index > 0 else 0
    high = others[index].position if index < len(others) else low + 2 * POSITION_STEP
    if high - low >= 2:
        return (low + high) // 2, []
    shifted = [
        replace(other, position=(n + 1 if n < index else n + 2) * POSITION_STEP)
        for n, other in enumerate(others)
    ]
    return (index + 1) * POSITION_STEP, shifted
