"""Transcript appends on PostgreSQL, through psycopg's own connection pool.

Every other query goes through SQLAlchemy; this one does not, because a turn appends twice and
SQLAlchemy's async layer around one INSERT (its pool's checkout and return, greenlet hops,
switching the connection to autocommit and back) cost a service instance 1.0-1.4 ms of CPU an
append, against 0.3 ms for the same statement on psycopg_pool (bench/transcript_appends.py,
docs/performance.md). On 2 cores every millisecond of a turn outside Rasa is throughput Rasa
does not get (issue 21). TranscriptStore still builds and masks the rows and owns the schema;
this module only runs the INSERT. SQLite keeps SQLAlchemy's path.

Its owner must `close()` it: psycopg_pool's maintenance workers swallow a cancellation, so an
event loop that ends with the pool still open (an integration test did) can hang in its shutdown.
Hence the pool is opt-in (`TranscriptStore(pooled_appends=True)`, the service), not the default.

A failure is raised as `AppendFailed`, a SQLAlchemyError, so that every caller handles it as
before on either path (the hub's outbox, the desk, the console).
"""

from __future__ import annotations

import asyncio
from typing import Any

from psycopg import Error as PsycopgError
from psycopg import OperationalError
from psycopg.types.json import Json
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from kernel.sql import POSTGRES_POOL_SIZE, postgres_connect_args

COLUMNS = ("conversation_id", "role", "text", "agent", "extra", "created_at")
# Opened at once; more up to POSTGRES_POOL_SIZE while appends wait for one.
MIN_CONNECTIONS = 2
# How its connections show in pg_stat_activity.
APPLICATION_NAME = "swa-transcript-appends"
# psycopg_pool's own default wait for a connection, when no timeout is configured.
DEFAULT_WAIT_S = 30.0


class AppendFailed(SQLAlchemyError):
    """The database did not take the lines (down, too slow to answer, or refused them)."""


class PostgresAppends:
    """INSERT … RETURNING id of a transcript's lines, one statement in autocommit."""

    def __init__(self, engine: AsyncEngine, table: str, timeout_s: float | None = None) -> None:
        conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._pool = AsyncConnectionPool(
            conninfo,
            min_size=MIN_CONNECTIONS,
            max_size=POSTGRES_POOL_SIZE,
            kwargs={
                "autocommit": True,
                "application_name": APPLICATION_NAME,
                **postgres_connect_args(timeout_s),
            },
            timeout=timeout_s or DEFAULT_WAIT_S,
            open=False,
            name="transcript-appends",
        )
        self._insert = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES "
        self._opening: asyncio.Future | None = None

    async def insert(self, rows: list[dict[str, Any]]) -> list[int]:
        """The new rows' ids, in the order of `rows`."""
        if self._opening is None:  # opened on first use, on the loop that uses it
            self._opening = asyncio.ensure_future(self._pool.open())
        await self._opening
        placeholders = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
        statement = self._insert + ", ".join([placeholders] * len(rows)) + " RETURNING id"
        params = [
            Json(row[column]) if column == "extra" else row[column]
            for row in rows
            for column in COLUMNS
        ]
        try:
            async with self._pool.connection() as connection:
                cursor = await connection.execute(statement, params)
                found = await cursor.fetchall()
        except PsycopgError as exc:  # PoolTimeout included
            if isinstance(exc, OperationalError):
                # A restarted database leaves every idle connection broken: one failed append,
                # not one per pooled connection (SQLAlchemy's pre-ping did this before each).
                await self._pool.check()
            raise AppendFailed(f"transcript append failed: {exc}") from exc
        # Ids come from the sequence in the order the VALUES rows are inserted; RETURNING's own
        # order is not promised, so they are sorted rather than trusted.
        return sorted(row[0] for row in found)

    async def close(self) -> None:
        if self._opening is not None:
            await self._pool.close()
