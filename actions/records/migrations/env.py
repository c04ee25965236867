"""Alembic environment of the records database (its own history, its own version table)."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from actions.records.models import RecordsBase
from kernel.sql import create_engine

target_metadata = RecordsBase.metadata
# The records may share a PostgreSQL database with the service: keep the histories apart.
VERSION_TABLE = "records_alembic_version"


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection, target_metadata=target_metadata, version_table=VERSION_TABLE
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


asyncio.run(run_migrations_online())
