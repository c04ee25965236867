"""The transcript: what was said in a conversation, in order, by whom.

Channels replay it (a web chat page reload shows the whole conversation) and, later, agents and
supervisors read it. Writing is on the hot path of every turn (twice: the user's line, then the
replies), so an append is one INSERT of all its lines in autocommit: atomic by itself, and one
round trip to the database where a transaction takes three (BEGIN, INSERT, COMMIT), each a
system call on both sides and a wake-up of the database's process (docs/performance.md); on
PostgreSQL it runs on psycopg's own pool (queue_service/transcript_appends.py).
Personal numbers are masked before they are written, wherever a line carries them: the bot saw
the message as typed, nobody reading the transcript needs them.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from kernel.messages import Button, OutboundMessage, Role, StoredMessage
from kernel.privacy import mask_personal_numbers
from queue_service.db import TranscriptMessage, as_utc
from queue_service.transcript_appends import PostgresAppends


def _masked_strings(value: Any) -> Any:
    """A JSON-like value with personal numbers masked in every string in it."""
    if isinstance(value, str):
        return mask_personal_numbers(value)
    if isinstance(value, dict):
        return {key: _masked_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked_strings(item) for item in value]
    return value


def _masked(message: OutboundMessage) -> OutboundMessage:
    """The line as it may be kept: personal numbers masked in its text, its sender's name, its
    custom payload and its buttons, titles and payloads alike.

    A payload's entity values are masked in place (`/query_records{"record_no": "…"}`): the
    stored buttons are replayed after a page reload, and a record's number (declaration, tax
    bill, inventory) is no personal number, so a replayed record button still works. The image
    is a URL from the bot's own responses and is kept as it is.
    """
    buttons = [
        Button(title=mask_personal_numbers(b.title), payload=mask_personal_numbers(b.payload))
        for b in message.buttons
    ]
    return message.model_copy(
        update={
            "text": _masked_strings(message.text),
            "sender_name": _masked_strings(message.sender_name),
            "custom": _masked_strings(message.custom),
            "buttons": buttons,
        }
    )


def _extra(message: OutboundMessage) -> dict:
    return message.model_dump(
        include={"buttons", "image", "custom", "sender_name", "message_id"},
        exclude_defaults=True,
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
    def __init__(
        self,
        sessions: async_sessionmaker,
        timeout_s: float | None = None,
        *,
        pooled_appends: bool = False,
    ) -> None:
        """`pooled_appends`: on PostgreSQL, appends run on a psycopg pool of their own
        (queue_service/transcript_appends.py), for the service, which appends twice a turn; its
        owner must `close()` the store. Short-lived users (tools, tests) stay on SQLAlchemy."""
        self._sessions = sessions
        engine = sessions.kw["bind"]
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._postgres = (
            PostgresAppends(engine, TranscriptMessage.__tablename__, timeout_s)
            if pooled_appends and engine.dialect.name == "postgresql"
            else None
        )

    async def close(self) -> None:
        if self._postgres is not None:
            await self._postgres.close()

    async def append(
        self, conversation_id: str, messages: Sequence[OutboundMessage]
    ) -> list[StoredMessage]:
        rows = [
            {
                "conversation_id": conversation_id,
                "role": m.role.value,
                "text": m.text,
                "agent": m.agent,
                "extra": _extra(m),
                "created_at": m.created_at,
            }
            for m in map(_masked, messages)
        ]
        if not rows:
            return []
        if self._postgres is not None:
            ids = await self._postgres.insert(rows)
        else:
            statement = insert(TranscriptMessage).returning(
                TranscriptMessage.id, sort_by_parameter_order=True
            )
            async with self._autocommit.connect() as connection:
                ids = (await connection.execute(statement, rows)).scalars().all()
        return [
            StoredMessage(
                id=row_id,
                conversation_id=conversation_id,
                role=Role(row["role"]),
                text=row["text"],
                agent=row["agent"],
                created_at=as_utc(row["created_at"]),
                **row["extra"],
            )
            for row_id, row in zip(ids, rows, strict=True)
        ]

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
