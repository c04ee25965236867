"""Shared fixtures: a real Redis per test session and SQL databases (SQLite, PostgreSQL)."""

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager, nullcontext

import psycopg
import pytest
import redis
import redis.asyncio as aioredis
from fastapi.testclient import TestClient
from redis.asyncio import Redis

from actions.records import db as records_db
from queue_service import db
from tests.support.rasa_standins import RecordingRasa, recording_rasa
from tests.support.servers import RedisProcess
from tests.support.service import make_client, part

# The tests run the system as `make run` does: in demo mode (demo portal, demo cards, the published
# demo secrets). Tests of the secure default build their settings with demo_mode=False.
os.environ.setdefault("SWA_DEMO_MODE", "true")

POSTGRES_ADMIN_DSN = os.environ.get(
    "SWA_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def redis_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def empty_redis_url(redis_process: RedisProcess) -> str:
    """The shared Redis emptied, for a test that needs nobody online or queued."""
    with redis.Redis.from_url(redis_process.url) as client:
        client.flushdb()
    return redis_process.url


@pytest.fixture
async def redis_client(redis_process: RedisProcess) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_process.url, decode_responses=True)
    await client.flushdb()
    yield client
    await client.aclose()


@contextmanager
def _postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards.

    Where no server answers, the PostgreSQL variants are skipped on a developer machine but fail
    in CI (CI=true), which always has one.
    """
    name = f"swa_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no PostgreSQL server reachable at {POSTGRES_ADMIN_DSN}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    """Each SQL test runs on both supported databases, schema created by the Alembic migration."""
    if request.param == "sqlite":
        database = nullcontext(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sql') / 'swa.db'}")
    else:
        database = _postgres_database()
    with database as url:
        db.upgrade(url)
        yield url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The service's schema on PostgreSQL alone, for what only PostgreSQL has."""
    with _postgres_database() as url:
        db.upgrade(url)
        yield url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def empty_records_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    """A records database (the Single Window stand-in's), migrated and empty, on both databases."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("records") / "records.db"
        database = nullcontext(f"sqlite+aiosqlite:///{path}")
    else:
        database = _postgres_database()
    with database as url:
        records_db.upgrade(url)
        yield url


@pytest.fixture
def rasa() -> Iterator[RecordingRasa]:
    """A Rasa stand-in that answers and records what the hub sent it."""
    with recording_rasa() as rasa:
        yield rasa


@pytest.fixture
def service(redis_process, database_url, rasa) -> Iterator[TestClient]:
    """The service (demo mode) talking to the recording Rasa, Redis emptied first."""
    with make_client(redis_process.url, database_url, rasa.url) as client:
        client.portal.call(part(client, Redis).flushdb)
        yield client
