"""Canned responses (常用语): replies agents insert by shortcut instead of typing them again.

Supervisors keep the team's list, which every agent reads; each agent may also keep entries of
their own, which only they see and change (a shortcut is still unique across all). An entry may
be limited to one skill (an airport answer is no use in a customs chat) or offered in every
chat. Shortcuts are short ASCII words after a slash, so that typing "/" in the composer can find
them without an input method. The errors are the words the person sees in the console.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from kernel.messages import utcnow
from kernel.skills import Skill
from queue_service.console import texts
from queue_service.db import CannedResponse as CannedRow
from queue_service.db import as_utc

MAX_SHORTCUT_CHARS = texts.CANNED_MAX_SHORTCUT_CHARS  # after the leading slash
MAX_TITLE_CHARS = texts.CANNED_MAX_TITLE_CHARS
MAX_TEXT_CHARS = texts.CANNED_MAX_TEXT_CHARS
MAX_QUERY_CHARS = 100
# Enough for any real list; the console filters the "/" suggestions from the whole list.
MAX_LISTED = 500
_SHORTCUT = re.compile(rf"^/[a-z0-9_-]{{1,{MAX_SHORTCUT_CHARS}}}$")



class CannedError(ValueError):
    """What the supervisor must correct; the message is shown as it is."""


class DuplicateShortcut(CannedError):
    """Another entry has this shortcut already."""

    def __init__(self) -> None:
        super().__init__(texts.CANNED_DUPLICATE)


@dataclass(frozen=True)
class Canned:
    id: int
    shortcut: str
    title: str
    text: str
    skill: Skill | None
    created_by: str
    updated_at: datetime
    # The agent whose own entry it is; None: the team's.
    owner: str | None = None


@dataclass(frozen=True)
class Draft:
    """A validated entry, ready to be written."""

    shortcut: str
    title: str
    text: str
    skill: Skill | None


def valid_shortcut(shortcut: str) -> str:
    """The shortcut normalised (trimmed, lower case, leading slash added); else CannedError."""
    cleaned = shortcut.strip().lower()
    if cleaned and not cleaned.startswith("/"):
        cleaned = "/" + cleaned
    if not _SHORTCUT.match(cleaned):
        raise CannedError(texts.CANNED_SHORTCUT_INVALID)
    return cleaned


def draft(shortcut: str, title: str, text: str, skill: Skill | None) -> Draft:
    """Check all fields, shortcut first (the order of the form)."""
    cleaned_shortcut = valid_shortcut(shortcut)
    cleaned_title = title.strip()
    if not cleaned_title:
        raise CannedError(texts.CANNED_TITLE_EMPTY)
    if len(cleaned_title) > MAX_TITLE_CHARS:
        raise CannedError(texts.CANNED_TITLE_TOO_LONG)
    # Inner line breaks are kept: a reply may be a short list.
    cleaned_text = text.strip()
    if not cleaned_text:
        raise CannedError(texts.CANNED_TEXT_EMPTY)
    if len(cleaned_text) > MAX_TEXT_CHARS:
        raise CannedError(texts.CANNED_TEXT_TOO_LONG)
    return Draft(cleaned_shortcut, cleaned_title, cleaned_text, skill)


def _canned(row: CannedRow) -> Canned:
    return Canned(
        row.id,
        row.shortcut,
        row.title,
        row.text,
        Skill(row.skill) if row.skill else None,
        row.created_by,
        as_utc(row.updated_at),
        row.owner,
    )


class CannedStore:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def list(
        self,
        query: str | None = None,
        skill: Skill | None = None,
        limit: int = MAX_LISTED,
        viewer: str | None = None,
    ) -> list[Canned]:
        """Entries by shortcut; `query` is looked for in shortcut, title and text, ignoring case.

        With a skill, only the entries a chat of that skill may use: its own and those for
        every skill. Without one, all of them. The team's entries, and the `viewer`'s own.
        """
        statement = select(CannedRow).where(
            or_(CannedRow.owner.is_(None), CannedRow.owner == (viewer or ""))
        )
        words = (query or "").strip()[:MAX_QUERY_CHARS]
        if words:
            # icontains is ILIKE on PostgreSQL and lower() LIKE lower() on SQLite; autoescape
            # keeps % and _ typed by the agent literal.
            statement = statement.where(
                or_(
                    CannedRow.shortcut.icontains(words, autoescape=True),
                    CannedRow.title.icontains(words, autoescape=True),
                    CannedRow.text.icontains(words, autoescape=True),
                )
            )
        if skill is not None:
            statement = statement.where(
                or_(CannedRow.skill.is_(None), CannedRow.skill == skill.value)
            )
        statement = statement.order_by(CannedRow.shortcut).limit(limit)
        async with self._sessions() as session:
            return [_canned(row) for row in await session.scalars(statement)]

    async def get(self, canned_id: int) -> Canned | None:
        async with self._sessions() as session:
            row = await session.get(CannedRow, canned_id)
            return _canned(row) if row else None

    async def create(self, entry: Draft, by: str, owner: str | None = None) -> Canned:
        row = CannedRow(
            owner=owner,
            shortcut=entry.shortcut,
            title=entry.title,
            text=entry.text,
            skill=entry.skill.value if entry.skill else None,
            created_by=by,
            updated_at=utcnow(),
        )
        try:
            async with self._sessions() as session, session.begin():
                session.add(row)
        except IntegrityError as exc:  # the only constraint that can fail is the shortcut's
            raise DuplicateShortcut from exc
        return _canned(row)

    async def update(self, canned_id: int, entry: Draft) -> Canned | None:
        """Replace an entry's fields; None if it is gone (deleted by another supervisor)."""
        try:
            async with self._sessions() as session, session.begin():
                row = await session.get(CannedRow, canned_id)
                if row is None:
                    return None
                row.shortcut = entry.shortcut
                row.title = entry.title
                row.text = entry.text
                row.skill = entry.skill.value if entry.skill else None
                row.updated_at = utcnow()
        except IntegrityError as exc:
            raise DuplicateShortcut from exc
        return _canned(row)

    async def delete(self, canned_id: int) -> bool:
        """Remove an entry; False if it was not there."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(delete(CannedRow).where(CannedRow.id == canned_id))
            return result.rowcount == 1
