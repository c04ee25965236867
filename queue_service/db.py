"""SQL storage: the engine, the schema and the Alembic upgrade that creates it.

SQLite is the embedded default and PostgreSQL the production path; both go through the async
engine so that request handlers never block the event loop on a query.
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, String, Text, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from queue_service.messages import utcnow

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def as_utc(moment: datetime) -> datetime:
    """A stored timestamp with its zone: SQLite hands them back naive; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
    """A person who answers users in the agent console (role agent) or watches it (supervisor)."""

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


class Ticket(Base):
    """A message left for the help desk (留言) when no agent could take the user."""

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(200))
    skill: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    # How to reach the user: a phone number or an e-mail address, as validated.
    contact: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_by: Mapped[str | None] = mapped_column(String(32))
    done_note: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


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


class CannedResponse(Base):
    """A reply agents insert instead of typing it (常用语); supervisors keep the list."""

    __tablename__ = "canned_responses"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # What an agent types in the composer to find it, e.g. /hello.
    shortcut: Mapped[str] = mapped_column(String(33), unique=True)
    title: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    # Offered in chats of this skill only; NULL: in every chat.
    skill: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


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
    status: Mapped[str] = mapped_column(String(16))  # "active", "locked" or "revoked"
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

def create_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        # WAL lets the service read history while another connection writes; with WAL,
        # synchronous=NORMAL is still corruption-safe and saves an fsync per commit.
        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(database_url: str, migrations_dir: Path = MIGRATIONS_DIR) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, migrations_dir: Path = MIGRATIONS_DIR) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    if database_url.startswith("sqlite"):
        path = database_url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url, migrations_dir), "head")
