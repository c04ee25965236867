"""SQL helpers every process with a database shares: the async engine, sessions, migrations.

SQLite is the embedded default and PostgreSQL the production path; both go through the async
engine so that request handlers never block the event loop on a query. Each database has its
own Alembic history (the service's, the records stand-in's); `upgrade` brings either to head.
"""

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine


def as_utc(moment: datetime) -> datetime:
    """A stored timestamp with its zone: SQLite hands them back naive; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# PostgreSQL connections a process keeps open. SQLAlchemy's default (5, and 10 more opened
# and closed again as needed) made a service instance open and close a connection for most
# transcript writes at 128 users (a backend process forked each time; bench.chat --cluster,
# docs/performance.md). The 10 beyond the pool are still opened for a burst, not kept.
POSTGRES_POOL_SIZE = 20
POSTGRES_OVERFLOW = 10


def postgres_connect_args(timeout_s: float | None) -> dict[str, Any]:
    """psycopg's connection arguments that bound connecting and each statement by `timeout_s`."""
    if timeout_s is None:
        return {}
    return {
        "connect_timeout": max(1, math.ceil(timeout_s)),
        "options": f"-c statement_timeout={int(timeout_s * 1000)}",
    }


def create_engine(url: str, timeout_s: float | None = None) -> AsyncEngine:
    """The engine for `url`; with `timeout_s`, a PostgreSQL that does not answer (down, its
    connections blocked, a statement stuck) fails within that long instead of hanging a turn:
    connecting, waiting for a pooled connection and each statement are bounded by it."""
    options: dict[str, Any] = {}
    if url.startswith("postgresql"):
        options.update(pool_size=POSTGRES_POOL_SIZE, max_overflow=POSTGRES_OVERFLOW)
        if timeout_s is not None:
            options["pool_timeout"] = timeout_s
            options["connect_args"] = postgres_connect_args(timeout_s)
    engine = create_async_engine(url, pool_pre_ping=True, **options)
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


def alembic_config(database_url: str, migrations_dir: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, migrations_dir: Path) -> None:
    """Bring the schema of the history in `migrations_dir` to its newest revision (idempotent)."""
    if database_url.startswith("sqlite"):
        path = database_url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url, migrations_dir), "head")
