"""What a maintainer does to an entry: edit, create, retire, restore, go back to a version.

Each is one revision of the store (store.py), refused with a Chinese `KnowledgeError` when the
knowledge base's rules fail, and with a `Conflict` when the entry changed since the maintainer
read it. A phrasing already asked of another entry is named before anything is saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from actions.faq.knowledge import normalise
from studio import texts
from studio.exchange import CATEGORY, ENTRY, OUT_OF_SCOPE, Item
from studio.store import Conflict, KnowledgeError, KnowledgeStore, Stored, owners, position_for
from studio.store import check_entry as check_entry

# What a maintainer may change (fresh phrasings are never edited: they measure unseen questions).
EDITABLE = ("title", "answer", "phrasings", "heldout", "related", "topic", "subject")


class NotFound(LookupError):
    """No such entry or version; the message is for the maintainer."""


@dataclass(frozen=True)
class Duplicate:
    phrasing: str
    owner: str  # an entry id, or "out_of_scope"
    title: str


def _lines(values: list[str]) -> list[str]:
    """Phrasings as typed: stripped, empty lines dropped, repeats (as normalised) once."""
    seen: set[str] = set()
    kept = []
    for value in values:
        value = value.strip()
        if value and normalise(value) not in seen:
            seen.add(normalise(value))
            kept.append(value)
    return kept


def _answer(text: str) -> str:
    """Line ends made plain and trailing spaces dropped, so the file keeps a `|` block."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(re.sub(r"[ \t]+$", "", line) for line in lines).strip()


def cleaned(draft: dict[str, Any]) -> dict[str, Any]:
    """The editable fields of a draft, as they will be stored."""
    data: dict[str, Any] = {}
    for field in EDITABLE:
        if field not in draft:
            continue
        value = draft[field]
        if field in ("phrasings", "heldout", "related", "subject"):
            data[field] = _lines(list(value or []))
        elif field == "answer":
            data[field] = _answer(value or "")
        elif field == "topic":
            data[field] = (value or "").strip() or None
        else:
            data[field] = (value or "").strip()
    return data


class Entries:
    def __init__(self, store: KnowledgeStore) -> None:
        self.store = store

    async def get(self, entry_id: str) -> Stored:
        found = await self.store.get(ENTRY, entry_id)
        if found is None:
            raise NotFound(texts.NOT_FOUND)
        return found

    async def duplicates(self, entry_id: str | None, phrasings: list[str]) -> list[Duplicate]:
        """The phrasings that are already another entry's (or an out-of-scope question)."""
        items = [s.item for s in await self.store.current()]
        owner = owners(i for i in items if not (i.kind == ENTRY and i.key == entry_id))
        titles = {i.key: i.data.get("title", i.key) for i in items if i.kind == ENTRY}
        found = []
        for phrasing in _lines(phrasings):
            who = owner.get(normalise(phrasing))
            if who is not None:
                title = "不在服务范围内的问题" if who == OUT_OF_SCOPE else titles.get(who, who)
                found.append(Duplicate(phrasing, who, title))
        return found

    async def _check_duplicates(self, entry_id: str, data: dict[str, Any]) -> None:
        phrasings = [*data.get("phrasings", []), *data.get("heldout", [])]
        taken = await self.duplicates(entry_id, phrasings)
        if taken:
            listed = "；".join(f"“{d.phrasing}”已属于“{d.title}”" for d in taken[:5])
            raise KnowledgeError(f"以下问法已属于其他条目，一个问法只能属于一个条目：{listed}。")

    async def _placed(
        self, item: Item, rank: int | None, moved: bool
    ) -> tuple[Item, list[Item], dict[tuple[str, str], int | None]]:
        """The item at `rank` in its category (or last when it moved there without one), with
        the neighbours renumbered to make room and the versions they were read at."""
        if rank is None and not moved:
            return item, [], {}
        if rank is not None and rank < 1:
            raise KnowledgeError(texts.RANK_INVALID)
        if await self.store.get(CATEGORY, item.category or "") is None:
            raise KnowledgeError(texts.NO_SUCH_CATEGORY.format(category=item.category))
        others = [
            s
            for s in await self.store.current(ENTRY)
            if s.item.category == item.category and s.item.key != item.key and not s.item.retired
        ]
        before = sum((o.item.position, o.item.key) < (item.position, item.key) for o in others)
        if not moved and rank == before + 1:
            return item, [], {}  # already there: the form sends the rank it showed
        wanted = rank if rank is not None else len(others) + 1
        position, shifted = position_for(wanted, [s.item for s in others])
        versions = {s.key: s.version for s in others}
        expected = {(i.kind, i.key): versions[(i.kind, i.key)] for i in shifted}
        return replace(item, position=position), shifted, expected

    async def save(
        self,
        entry_id: str,
        draft: dict[str, Any],
        base_version: int,
        author: str,
        category: str | None = None,
        rank: int | None = None,
    ) -> Stored:
        current = await self.get(entry_id)
        data = {**current.item.data, **cleaned(draft)}
        if not data.get("topic"):
            data.pop("topic", None)
        if not data.get("subject"):
            data.pop("subject", None)
        target = category or current.item.category
        item = replace(current.item, data=data, category=target)
        check_entry(item)
        await self._check_duplicates(entry_id, data)
        item, shifted, expected = await self._placed(item, rank, target != current.item.category)
        expected[(ENTRY, entry_id)] = base_version
        await self.store.commit([item, *shifted], author, "edit", expected)
        return await self.get(entry_id)

    async def create(
        self,
        entry_id: str,
        draft: dict[str, Any],
        category: str,
        author: str,
        rank: int | None = None,
    ) -> Stored:
        data = {"id": entry_id, **cleaned(draft), "fresh": []}
        item = Item(ENTRY, entry_id, data, category)
        check_entry(item)
        if await self.store.get(ENTRY, entry_id) is not None:
            raise KnowledgeError(texts.CREATED_MEANWHILE.format(id=entry_id))
        await self._check_duplicates(entry_id, data)
        item, shifted, expected = await self._placed(item, rank, True)
        expected[(ENTRY, entry_id)] = None
        try:
            await self.store.commit([item, *shifted], author, "create", expected)
        except Conflict as conflict:
            raise KnowledgeError(texts.CREATED_MEANWHILE.format(id=entry_id)) from conflict
        return await self.get(entry_id)

    async def set_retired(
        self, entry_id: str, retired: bool, base_version: int, author: str
    ) -> Stored:
        current = await self.get(entry_id)
        if current.item.retired == retired:
            raise KnowledgeError(texts.ALREADY_RETIRED if retired else texts.NOT_RETIRED)
        if retired:
            pointing = [
                s.item.data.get("title", s.item.key)
                for s in await self.store.current(ENTRY)
                if not s.item.retired and entry_id in s.item.data.get("related", [])
            ]
            if pointing:
                raise KnowledgeError(texts.STILL_RELATED.format(entries="、".join(pointing)))
        item = replace(current.item, retired=retired)
        action = "retire" if retired else "restore"
        await self.store.commit([item], author, action, {(ENTRY, entry_id): base_version})
        return await self.get(entry_id)

    async def restore_version(
        self, entry_id: str, version: int, base_version: int, author: str
    ) -> Stored:
        """The entry as it was at `version` (text, phrasings, category, order), as a new
        version; whether it is retired stays as it is now."""
        current = await self.get(entry_id)
        old = await self.store.version(ENTRY, entry_id, version)
        if old is None:
            raise NotFound(texts.VERSION_NOT_FOUND.format(version=version))
        item = replace(old.item, retired=current.item.retired)
        await self.store.commit(
            [item], author, "revert", {(ENTRY, entry_id): base_version}, note=f"v{version}"
        )
        return await self.get(entry_id)
