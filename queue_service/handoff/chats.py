"""Chats in SQL: who served whom, when, how it ended and how the user rated it.

A chat row opens when an agent takes a user and closes with a disposition: one the agent picks
when closing, or one the system sets when the chat moves on (transferred, or handed back to the
queue because its agent dropped out). The user's 1-5 rating arrives after the close. These rows
are what handled/abandoned counts, handling times and satisfaction are computed from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from kernel.messages import utcnow
from kernel.privacy import mask_personal_numbers
from kernel.skills import Skill
from queue_service.db import Chat as ChatRow
from queue_service.db import as_utc

MAX_COMMENT_CHARS = 500


class Disposition(StrEnum):
    RESOLVED = "resolved"
    FOLLOW_UP = "follow_up"
    NO_RESPONSE = "no_response"
    INVALID = "invalid"
    # Set by the system, not offered to agents.
    TRANSFERRED = "transferred"
    DROPPED = "dropped"
    TAKEN_OVER = "taken_over"
    USER_ENDED = "user_ended"


DISPOSITION_TITLES = {
    Disposition.RESOLVED: "已解决",
    Disposition.FOLLOW_UP: "需后续跟进",
    Disposition.NO_RESPONSE: "用户无应答",
    Disposition.INVALID: "无效会话",
    Disposition.TRANSFERRED: "已转接",
    Disposition.DROPPED: "客服断线，重新排队",
    Disposition.TAKEN_OVER: "主管接管",
    Disposition.USER_ENDED: "用户结束",
}
AGENT_DISPOSITIONS = (
    Disposition.RESOLVED,
    Disposition.FOLLOW_UP,
    Disposition.NO_RESPONSE,
    Disposition.INVALID,
)


@dataclass(frozen=True)
class Chat:
    id: int
    conversation_id: str
    skill: Skill
    agent: str
    enqueued_at: datetime
    assigned_at: datetime
    closed_at: datetime | None
    disposition: Disposition | None
    csat: int | None


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _chat(row: ChatRow) -> Chat:
    return Chat(
        row.id,
        row.conversation_id,
        Skill(row.skill),
        row.agent,
        as_utc(row.enqueued_at),
        as_utc(row.assigned_at),
        as_utc(row.closed_at) if row.closed_at else None,
        Disposition(row.disposition) if row.disposition else None,
        row.csat,
    )


class ChatStore:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def open(
        self, conversation_id: str, skill: Skill, agent: str, enqueued_ms: int, assigned_ms: int
    ) -> Chat:
        row = ChatRow(
            conversation_id=conversation_id,
            skill=skill.value,
            agent=agent,
            enqueued_at=from_ms(enqueued_ms),
            assigned_at=from_ms(assigned_ms),
        )
        async with self._sessions() as session, session.begin():
            session.add(row)
        return _chat(row)

    async def current(self, conversation_id: str, agent: str) -> Chat | None:
        """The agent's open chat with this user, if any."""
        query = (
            select(ChatRow)
            .where(
                ChatRow.conversation_id == conversation_id,
                ChatRow.agent == agent,
                ChatRow.closed_at.is_(None),
            )
            .order_by(ChatRow.id.desc())
        )
        async with self._sessions() as session:
            row = (await session.scalars(query)).first()
        return _chat(row) if row else None

    async def close(self, chat_id: int, disposition: Disposition) -> bool:
        statement = (
            update(ChatRow)
            .where(ChatRow.id == chat_id, ChatRow.closed_at.is_(None))
            .values(closed_at=utcnow(), disposition=disposition.value)
        )
        async with self._sessions() as session, session.begin():
            return (await session.execute(statement)).rowcount == 1

    async def rate(self, chat_id: int, score: int) -> None:
        await self._set(chat_id, csat=score)

    async def comment(self, chat_id: int, text: str) -> None:
        """The user's words on the chat, after their rating; personal numbers masked."""
        await self._set(
            chat_id, csat_comment=mask_personal_numbers(text.strip())[:MAX_COMMENT_CHARS]
        )

    async def _set(self, chat_id: int, **values: object) -> None:
        statement = update(ChatRow).where(ChatRow.id == chat_id).values(**values)
        async with self._sessions() as session, session.begin():
            await session.execute(statement)

    async def of_conversation(self, conversation_id: str, limit: int) -> list[Chat]:
        """The user's chats with agents, newest first (the contact panel's history)."""
        query = (
            select(ChatRow)
            .where(ChatRow.conversation_id == conversation_id)
            .order_by(ChatRow.id.desc())
            .limit(limit)
        )
        async with self._sessions() as session:
            return [_chat(row) for row in await session.scalars(query)]

    async def get(self, chat_id: int) -> Chat | None:
        async with self._sessions() as session:
            row = await session.get(ChatRow, chat_id)
        return _chat(row) if row else None
