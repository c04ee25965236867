"""Notes on a conversation for staff only: never sent to the user, never in the transcript.

An agent writes an internal note for whoever serves the user next (or reads the chat later); a
supervisor whispers to the agent serving the user, who sees it at once in the chat. Both stay
beside the conversation in SQL, personal numbers masked as in transcripts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from kernel.privacy import mask_personal_numbers
from queue_service.db import ConversationNote as NoteRow
from queue_service.db import as_utc

MAX_NOTE_CHARS = 1000
# The newest notes the console shows of one conversation.
MAX_LISTED = 200


class NoteKind(StrEnum):
    NOTE = "note"
    WHISPER = "whisper"


@dataclass(frozen=True)
class Note:
    id: int
    conversation_id: str
    kind: NoteKind
    author: str
    author_name: str
    text: str
    created_at: datetime

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "kind": self.kind.value,
            "author": self.author,
            "author_name": self.author_name,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
        }


def _note(row: NoteRow) -> Note:
    return Note(
        row.id,
        row.conversation_id,
        NoteKind(row.kind),
        row.author,
        row.author_name,
        row.text,
        as_utc(row.created_at),
    )


class NoteStore:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def add(
        self, conversation_id: str, kind: NoteKind, author: str, author_name: str, text: str
    ) -> Note:
        row = NoteRow(
            conversation_id=conversation_id,
            kind=kind.value,
            author=author,
            author_name=author_name,
            text=mask_personal_numbers(text.strip())[:MAX_NOTE_CHARS],
        )
        async with self._sessions() as session, session.begin():
            session.add(row)
        return _note(row)

    async def of_conversation(self, conversation_id: str) -> list[Note]:
        """Oldest first, the newest MAX_LISTED."""
        query = (
            select(NoteRow)
            .where(NoteRow.conversation_id == conversation_id)
            .order_by(NoteRow.id.desc())
            .limit(MAX_LISTED)
        )
        async with self._sessions() as session:
            rows = list(await session.scalars(query))
        return [_note(row) for row in reversed(rows)]
