"""The records database: where it is and how its schema is brought up to date."""

from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker

from kernel import sql

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def upgrade(database_url: str) -> None:
    sql.upgrade(database_url, MIGRATIONS_DIR)


def sessions(database_url: str) -> async_sessionmaker:
    return sql.session_factory(sql.create_engine(database_url))
