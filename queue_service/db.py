"""The service's SQL schema and the Alembic history that creates it (kernel/sql.py has the
engine and the upgrade every database shares)."""

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kernel import sql
from kernel.messages import utcnow
from kernel.sql import as_utc, create_engine, session_factory

__all__ = ["as_utc", "create_engine", "session_factory", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class Base(DeclarativeBase):
    pass


class TranscriptMessage(Base):
    """Every message of every conversation, whoever wrote it."""

    __tablename__ = "transcript_messages"
    __table_args__ = (
        Index("ix_transcript_conversation_id", "conversation_id", "id"),
        Index("ix_transcript_agent", "agent", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    # The agent who wrote the line, or served the user when they wrote it (user name).
    agent: Mapped[str | None] = mapped_column(String(32))
    # Buttons, image and custom payload as the channel showed them.
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AgentAccount(Base):
    """A person who answers users in the agent console (role agent), watches it (supervisor) or
    keeps the FAQ knowledge base (maintainer)."""

    __tablename__ = "agent_accounts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    # What users see on the agent's messages, e.g. 客服小王.
    display_name: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    capacity: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # A supervisor granted the knowledge studio (a maintainer account has it by its role).
    maintains_knowledge: Mapped[bool] = mapped_column(Boolean, default=False)


class Ticket(Base):
    """A message left for the help desk (留言) when no agent could take the user."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status", "status", "id"),
        Index("ix_tickets_assignee", "assignee", "status", "id"),
        Index("ix_tickets_skill", "skill", "status", "id"),
        Index("ix_tickets_created_at", "created_at"),
        Index("ix_tickets_conversation_id", "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(200))
    skill: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    # How to reach the user: a phone number or an e-mail address, as validated.
    contact: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16), default="open")
    # The verified identity (claims) of the user when they left it; None: anonymous.
    identity: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The agent who took it (处理中); None while nobody has.
    assignee: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who closed it, and the note kept for the help desk (not shown to the user).
    done_by: Mapped[str | None] = mapped_column(String(32))
    done_note: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TicketReply(Base):
    """An agent's answer to a ticket, sent to the user in the channel they left it from."""

    __tablename__ = "ticket_replies"
    __table_args__ = (Index("ix_ticket_replies_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(32))
    # What the user saw as the sender, e.g. 客服小王.
    author_name: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Chat(Base):
    """One user served by one agent: from assignment to close, with the user's rating."""

    __tablename__ = "chats"
    __table_args__ = (
        Index("ix_chats_conversation_id", "conversation_id", "id"),
        Index("ix_chats_agent", "agent", "assigned_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(200))
    skill: Mapped[str] = mapped_column(String(32))
    agent: Mapped[str] = mapped_column(String(32))
    enqueued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disposition: Mapped[str | None] = mapped_column(String(32))
    csat: Mapped[int | None] = mapped_column(Integer)
    csat_comment: Mapped[str | None] = mapped_column(Text)


class ConversationNote(Base):
    """A line about a conversation for staff only, never sent to the user: an agent's internal
    note, or a supervisor's whisper to the agent serving the user."""

    __tablename__ = "conversation_notes"
    __table_args__ = (Index("ix_conversation_notes_conversation_id", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # "note" or "whisper"
    author: Mapped[str] = mapped_column(String(32))
    author_name: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CannedResponse(Base):
    """A reply agents insert instead of typing it (常用语): the team's, kept by supervisors, or
    an agent's own."""

    __tablename__ = "canned_responses"
    __table_args__ = (Index("ix_canned_responses_owner", "owner"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # What an agent types in the composer to find it, e.g. /hello.
    shortcut: Mapped[str] = mapped_column(String(33), unique=True)
    title: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    # Offered in chats of this skill only; NULL: in every chat.
    skill: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The agent whose own entry it is (only they see and change it); NULL: the team's.
    owner: Mapped[str | None] = mapped_column(String(32))


class ChannelBinding(Base):
    """A WeChat / Telegram account bound to a portal user with a one-time code.

    Keyed by the conversation id (`<channel>:<channel user id>`): that is the channel account.
    The identity is kept as the portal vouched for it when the code was issued.
    """

    __tablename__ = "channel_bindings"
    __table_args__ = (Index("ix_channel_bindings_subject", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The records owner: consumer or enterprise id.
    subject: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    enterprise_name: Mapped[str | None] = mapped_column(String(100))
    bound_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)



class EportCard(Base):
    """A registered e-port card (法人卡 / 操作员卡): whose it is and the key it signs with.

    The registry, not the card, is the authority: a card proves it holds the private key of the
    public key registered here, and its status and expiry are read here.
    """

    __tablename__ = "eport_cards"
    __table_args__ = (Index("ix_eport_cards_subject", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    card_number: Mapped[str] = mapped_column(String(32), unique=True)
    # The enterprise the card belongs to (its records owner id) and the card holder.
    subject: Mapped[str] = mapped_column(String(100))
    enterprise_name: Mapped[str] = mapped_column(String(100))
    holder_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))  # "legal" (法人卡) or "operator" (操作员卡)
    public_key: Mapped[str] = mapped_column(Text)  # PEM, SubjectPublicKeyInfo
    # "sm2" or "ecdsa-p256" (card_keys.KeyType); the default is for rows from before SM2 (0008).
    key_type: Mapped[str] = mapped_column(String(16), server_default="ecdsa-p256")
    status: Mapped[str] = mapped_column(String(16))  # "active", "locked" or "revoked"
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

def upgrade(database_url: str) -> None:
    """Bring the service's schema to the newest revision (idempotent)."""
    sql.upgrade(database_url, MIGRATIONS_DIR)
