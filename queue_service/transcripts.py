"""The transcript: what was said in a conversation, in order, by whom.

Channels replay it (a web chat page reload shows the whole conversation) and, later, agents and
supervisors read it. Writing is on the hot path of every turn, so an append is one transaction.
Personal numbers are masked before they are written: the bot saw the message as typed, nobody
reading the transcript needs them.
"""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from queue_service.db import TranscriptMessage, as_utc
from queue_service.messages import OutboundMessage, Role, StoredMessage
from queue_service.privacy import mask_personal_numbers


def _extra(message: OutboundMessage) -> dict:
    return message.model_dump(
        include={"buttons", "image", "custom", "sender_name"}, exclude_defaults=True
    )


def _stored(row: TranscriptMessage) -> StoredMessage:
    return StoredMessage(
        id=row.id,
        conversation_id=row.conversation_id,
        role=Role(row.role),
        text=row.text,
        agent=row.agent,
        created_at=as_utc(row.created_at),
        **row.extra,
    )


class TranscriptStore:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def append(
        self, conversation_id: str, messages: Sequence[OutboundMessage]
    ) -> list[StoredMessage]:
        rows = [
            TranscriptMessage(
                conversation_id=conversation_id,
                role=m.role.value,
                text=mask_personal_numbers(m.text) if m.text else m.text,
                agent=m.agent,
                extra=_extra(m),
                created_at=m.created_at,
            )
            for m in messages
        ]
        async with self._sessions() as session, session.begin():
            session.add_all(rows)
        return [_stored(r) for r in rows]

    async def history(self, conversation_id: str, limit: int) -> list[StoredMessage]:
        """The newest `limit` messages of a conversation, oldest first."""
        query = (
            select(TranscriptMessage)
            .where(TranscriptMessage.conversation_id == conversation_id)
            .order_by(TranscriptMessage.id.desc())
            .limit(limit)
        )
        async with self._sessions() as session:
            rows = (await session.scalars(query)).all()
        return [_stored(r) for r in reversed(rows)]
