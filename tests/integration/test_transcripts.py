"""The transcript store on SQLite and PostgreSQL, schema from the Alembic migration."""

import asyncio
import json
import logging
import time

import psycopg
import pytest
from sqlalchemy import event, make_url, select
from sqlalchemy.exc import SQLAlchemyError

from kernel.messages import Button, OutboundMessage, Role
from kernel.sql import POSTGRES_POOL_SIZE
from queue_service import db
from queue_service.transcript_appends import APPLICATION_NAME
from queue_service.transcripts import TranscriptStore
from tests.support.servers import free_port


@pytest.fixture
async def store(database_url: str):
    engine = db.create_engine(database_url)
    store = TranscriptStore(db.session_factory(engine), pooled_appends=True)  # as the service
    yield store
    await store.close()
    await engine.dispose()


async def test_history_returns_what_was_appended_in_order(store: TranscriptStore) -> None:
    conversation = "webchat:order-test"
    await store.append(conversation, [OutboundMessage(role=Role.USER, text="你好")])
    await store.append(
        conversation,
        [
            OutboundMessage(text="您好！", buttons=[Button(title="常见问题", payload="/menu")]),
            OutboundMessage(image="https://example.org/a.png", custom={"k": [1, 2]}),
        ],
    )
    history = await store.history(conversation, limit=10)
    assert [(m.role, m.text) for m in history] == [
        (Role.USER, "你好"),
        (Role.BOT, "您好！"),
        (Role.BOT, None),
    ]
    assert history[1].buttons == [Button(title="常见问题", payload="/menu")]
    assert history[2].image == "https://example.org/a.png"
    assert history[2].custom == {"k": [1, 2]}
    assert all(m.created_at.tzinfo is not None for m in history)
    assert history[0].id < history[1].id < history[2].id


async def test_personal_numbers_are_stored_masked(store: TranscriptStore) -> None:
    conversation = "webchat:privacy-test"
    said = OutboundMessage(role=Role.USER, text="我的手机是13812345678，报关单010120231000012345")
    stored = await store.append(conversation, [said])
    expected = "我的手机是138****5678，报关单010120231000012345"
    assert stored[0].text == expected
    assert [m.text for m in await store.history(conversation, limit=10)] == [expected]


async def test_personal_numbers_are_masked_wherever_a_line_carries_them(
    database_url: str, store: TranscriptStore
) -> None:
    conversation = "webchat:privacy-everywhere"
    record = '/query_records{"query":"tax_bill","record_no":"000022000000000012"}'
    line = OutboundMessage(
        role=Role.AGENT,
        text="已记下您的手机 +86 138 1234 5678",
        sender_name="客服13912345678",
        buttons=[
            Button(title="税单 …000012 详情", payload=record),
            Button(
                title="回拨１３８１２３４５６７８",
                payload='/query_records{"query":"clearance","record_no":"13812345678"}',
            ),
            Button(title="身份证", payload="身份证110105491231002"),
        ],
        custom={"contact": {"phone": "tel13812345678", "ids": ["110105491231002", 7]}},
    )
    stored = await store.append(conversation, [line])
    [replayed] = await store.history(conversation, limit=10)
    for kept in (stored[0], replayed):
        assert kept.text == "已记下您的手机 +86 138****5678"
        assert kept.sender_name == "客服139****5678"
        assert kept.buttons == [
            Button(title="税单 …000012 详情", payload=record),  # a record button still works
            Button(
                title="回拨138****5678",
                payload='/query_records{"query":"clearance","record_no":"138****5678"}',
            ),
            Button(title="身份证", payload="身份证1101*******1002"),
        ]
        contact = {"phone": "tel138****5678", "ids": ["1101*******1002", 7]}
        assert kept.custom == {"contact": contact}

    # What SQL holds, read past the store: no personal number anywhere in the row.
    engine = db.create_engine(database_url)
    async with db.session_factory(engine)() as session:
        row = await session.scalar(
            select(db.TranscriptMessage).where(db.TranscriptMessage.conversation_id == conversation)
        )
    await engine.dispose()
    written = f"{row.text} {row.agent} {json.dumps(row.extra, ensure_ascii=False)}"
    for number in ("13812345678", "13912345678", "110105491231002", "１３８１２３４５６７８"):
        assert number not in written


async def test_history_keeps_the_newest_and_other_conversations_apart(store: TranscriptStore):
    conversation = "webchat:limit-test"
    for i in range(5):
        await store.append(conversation, [OutboundMessage(role=Role.USER, text=f"第{i}条")])
    await store.append("webchat:someone-else", [OutboundMessage(role=Role.USER, text="别人的")])
    history = await store.history(conversation, limit=3)
    assert [m.text for m in history] == ["第2条", "第3条", "第4条"]


def test_upgrade_is_idempotent(database_url: str) -> None:
    db.upgrade(database_url)  # already at head: must not fail or duplicate anything


def _libpq(url: str) -> str:
    """psycopg's own connection string for a SQLAlchemy URL."""
    return url.replace("postgresql+psycopg://", "postgresql://")


async def _append_backends(postgres_url: str) -> set[int]:
    """The server processes of the transcript appends' connections (pg_stat_activity)."""
    async with await psycopg.AsyncConnection.connect(
        _libpq(postgres_url), autocommit=True
    ) as connection:
        cursor = await connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (APPLICATION_NAME,)
        )
        return {pid for (pid,) in await cursor.fetchall()}


async def test_bursts_of_writes_reuse_the_pools_connections(postgres_url: str) -> None:
    # 128 users answered at once: each burst of transcript writes must not open (and close
    # again) connections beyond the pool, a backend process forked each time.
    engine = db.create_engine(postgres_url, timeout_s=5.0)
    store = TranscriptStore(db.session_factory(engine), timeout_s=5.0, pooled_appends=True)
    seen: set[int] = set()
    try:
        for burst in range(4):
            lines = [OutboundMessage(role=Role.USER, text=f"第{burst}轮") for _ in range(20)]
            writes = [store.append(f"webchat:pool-{n}", [line]) for n, line in enumerate(lines)]
            assert len(await asyncio.gather(*writes)) == 20
            seen |= await _append_backends(postgres_url)
    finally:
        await store.close()
        await engine.dispose()
    assert 0 < len(seen) <= POSTGRES_POOL_SIZE
    for _ in range(50):  # closed with the store (a backend exits just after its client)
        if not seen & await _append_backends(postgres_url):
            break
        await asyncio.sleep(0.1)
    assert not seen & await _append_backends(postgres_url)


async def test_an_append_is_one_statement_outside_a_transaction(postgres_url: str) -> None:
    # Every turn appends twice: each append is one INSERT of all its lines in autocommit (one
    # round trip), on psycopg's own pool (SQLAlchemy's async layer cost ~1 ms of CPU an
    # append); the lines come back in order with their ids, visible to others at once.
    engine = db.create_engine(postgres_url)
    executed: list[str] = []
    event.listen(
        engine.sync_engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, *_: executed.append(statement.split()[0]),
    )
    store = TranscriptStore(db.session_factory(engine), pooled_appends=True)
    try:
        lines = [OutboundMessage(role=Role.USER, text=f"第{n}句") for n in range(12)]
        stored = await store.append("webchat:one-statement", lines)
        assert executed == []  # not through SQLAlchemy's pool
        async with await psycopg.AsyncConnection.connect(_libpq(postgres_url)) as other:
            cursor = await other.execute(
                "SELECT id, text FROM transcript_messages WHERE conversation_id = %s ORDER BY id",
                ("webchat:one-statement",),
            )
            committed = await cursor.fetchall()
    finally:
        await store.close()
        await engine.dispose()
    assert [m.text for m in stored] == [f"第{n}句" for n in range(12)]
    assert committed == [(m.id, m.text) for m in stored]


async def test_a_database_that_is_down_fails_the_append_as_sqlalchemy_would(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Callers (the hub's outbox, the desk, the console) catch SQLAlchemyError: the psycopg path
    # must fail the same way, within the configured timeout, and not hang a turn; neither the
    # error nor the pool's log lines carry the database password of the URL it was given.
    password = "append-pool-password-7f3a"
    down = make_url(postgres_url).set(host="127.0.0.1", port=free_port(), password=password)
    engine = db.create_engine(down.render_as_string(hide_password=False), timeout_s=1.0)
    store = TranscriptStore(db.session_factory(engine), timeout_s=1.0, pooled_appends=True)
    started = time.monotonic()
    caplog.set_level(logging.DEBUG)
    try:
        with pytest.raises(SQLAlchemyError) as raised:
            await store.append("webchat:down", [OutboundMessage(role=Role.USER, text="在吗")])
    finally:
        await store.close()
        await engine.dispose()
    assert time.monotonic() - started < 5
    assert password not in str(raised.value)
    assert caplog.records  # the pool did log its failed attempts
    assert password not in caplog.text


async def test_connections_the_database_dropped_cost_one_append_at_most(postgres_url: str) -> None:
    # A PostgreSQL restart (or an administrator's pg_terminate_backend) breaks every idle
    # connection of the append pool: the next append may fail (the outbox keeps its lines), the
    # one after must not, however many broken connections the pool held.
    engine = db.create_engine(postgres_url, timeout_s=5.0)
    store = TranscriptStore(db.session_factory(engine), timeout_s=5.0, pooled_appends=True)
    line = [OutboundMessage(role=Role.USER, text="断线重连")]
    try:
        await asyncio.gather(*(store.append(f"webchat:drop-{n}", line) for n in range(8)))
        backends = await _append_backends(postgres_url)
        async with await psycopg.AsyncConnection.connect(
            _libpq(postgres_url), autocommit=True
        ) as admin:
            for pid in backends:
                await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        failures = 0
        for _ in range(3):
            try:
                await store.append("webchat:drop-after", line)
            except SQLAlchemyError:
                failures += 1
        history = await store.history("webchat:drop-after", limit=10)
    finally:
        await store.close()
        await engine.dispose()
    assert len(backends) >= 2
    assert failures <= 1
    assert len(history) == 3 - failures
