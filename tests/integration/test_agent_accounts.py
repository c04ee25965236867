"""Agent accounts on SQLite and PostgreSQL, staff sessions on a real Redis, and the CLI."""

import asyncio
import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import select

from kernel.skills import Skill
from queue_service import db
from queue_service.agents.accounts import (
    Account,
    AccountError,
    AccountStore,
    RecentAccounts,
    Role,
)
from queue_service.agents.sessions import INDEX_PREFIX, PREFIX, SessionStore, StaffSession
from stack.paths import ROOT


@pytest.fixture
async def accounts(database_url: str):
    engine = db.create_engine(database_url)
    yield AccountStore(db.session_factory(engine))
    await engine.dispose()


@pytest.fixture
def username() -> str:
    # The databases live for the whole test session: a fresh name keeps tests apart.
    return f"agent-{uuid.uuid4().hex[:12]}"


async def test_create_and_authenticate(accounts: AccountStore, username: str) -> None:
    created = await accounts.create(
        username, "客服小王", "correct horse", Role.SUPERVISOR, [Skill.AIRPORT], capacity=5
    )
    assert (created.role, created.skills, created.capacity) == (
        Role.SUPERVISOR,
        (Skill.AIRPORT,),
        5,
    )
    assert await accounts.authenticate(username, "correct horse") == created
    assert await accounts.authenticate(username, "wrong horse") is None
    assert await accounts.authenticate("nobody-here", "correct horse") is None
    assert await accounts.get(username) == created


async def test_recent_accounts_read_sql_at_most_every_interval(
    accounts: AccountStore, username: str
) -> None:
    now = [0.0]
    recent = RecentAccounts(accounts, max_age_s=5, clock=lambda: now[0])
    agent = await accounts.create(username, "客服小王", "correct horse")
    assert await recent.get(username) == agent
    await accounts.set_role(username, Role.SUPERVISOR)
    now[0] = 4.9
    assert (await recent.get(username)).role is Role.AGENT  # as read 4.9 s ago
    assert (await recent.get(username, fresh=True)).role is Role.SUPERVISOR
    await accounts.deactivate(username)
    now[0] = 9.8
    assert await recent.get(username) is not None  # the fresh read above was 4.9 s ago
    now[0] = 9.9
    assert await recent.get(username) is None


async def test_passwords_are_stored_hashed(accounts: AccountStore, username, database_url) -> None:
    await accounts.create(username, "客服小李", "correct horse")
    engine = db.create_engine(database_url)
    query = select(db.AgentAccount.password_hash).where(db.AgentAccount.username == username)
    try:
        async with db.session_factory(engine)() as session:
            stored = await session.scalar(query)
        assert stored.startswith("$argon2id$")
        assert "correct horse" not in stored
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("name", "display", "password", "capacity", "why"),
    [
        ("Wang Wu", "客服", "long enough", 3, "user name"),
        ("wangwu", "", "long enough", 3, "display name"),
        ("wangwu", "客服", "short", 3, "at least 8"),
        ("wangwu", "客服", "long enough", 0, "capacity"),
    ],
)
async def test_bad_accounts_are_refused_with_the_reason(
    accounts, name, display, password, capacity, why
) -> None:
    with pytest.raises(AccountError, match=why):
        await accounts.create(name, display, password, capacity=capacity)


async def test_names_are_unique(accounts: AccountStore, username: str) -> None:
    await accounts.create(username, "客服一", "password one")
    with pytest.raises(AccountError, match="taken"):
        await accounts.create(username, "客服二", "password two")


async def test_password_change_and_deactivation(accounts: AccountStore, username: str) -> None:
    await accounts.create(username, "客服小赵", "first password")
    await accounts.set_password(username, "second password")
    assert await accounts.authenticate(username, "first password") is None
    assert await accounts.authenticate(username, "second password") is not None
    await accounts.deactivate(username)
    assert await accounts.authenticate(username, "second password") is None
    assert await accounts.get(username) is None
    with pytest.raises(AccountError, match="no account"):
        await accounts.deactivate("nobody-here")


async def test_sessions_expire_when_idle_and_store_no_token(redis_client) -> None:
    account = Account("sun", "客服小孙", Role.AGENT, tuple(Skill), 3)
    sessions = SessionStore(redis_client, idle_s=2, max_s=60)
    token = await sessions.open(account)
    assert await sessions.get(token) == StaffSession("sun", "客服小孙", Role.AGENT)
    assert await sessions.get(token + "x") is None
    assert not [k async for k in redis_client.scan_iter(f"{PREFIX}*") if token in k]

    await asyncio.sleep(1.0)
    assert await sessions.get(token) is not None  # use extends the session
    await asyncio.sleep(1.0)
    assert await sessions.get(token) is not None
    await asyncio.sleep(2.5)
    assert await sessions.get(token) is None

    token = await sessions.open(account)
    await sessions.close(token)
    assert await sessions.get(token) is None


async def test_sessions_end_at_their_absolute_lifetime_however_busy(redis_client) -> None:
    now = [1000.0]
    sessions = SessionStore(redis_client, idle_s=60, max_s=300, clock=lambda: now[0])
    account = Account("sun", "客服小孙", Role.AGENT, tuple(Skill), 3, "stamp")
    token = await sessions.open(account)
    for _ in range(5):
        now[0] += 59
        assert await sessions.get(token) == StaffSession("sun", "客服小孙", Role.AGENT, "stamp")
    now[0] += 6  # 300 s after the login
    assert await sessions.get(token) is None
    assert not await redis_client.keys(f"{PREFIX}*")
    assert not await redis_client.smembers(f"{INDEX_PREFIX}sun")


async def test_all_sessions_of_an_account_end_together(redis_client) -> None:
    sessions = SessionStore(redis_client, idle_s=60, max_s=300)
    sun = Account("sun", "客服小孙", Role.AGENT, tuple(Skill), 3)
    li = Account("li", "客服小李", Role.AGENT, tuple(Skill), 3)
    tokens = [await sessions.open(sun) for _ in range(3)]
    other = await sessions.open(li)
    await sessions.close(tokens[0])
    assert await sessions.end_all("sun") == 2
    assert [await sessions.get(t) for t in tokens] == [None, None, None]
    assert await sessions.get(other) is not None
    assert await sessions.end_all("sun") == 0


def test_a_session_holds_only_for_the_account_as_it_logged_in() -> None:
    session = StaffSession("sun", "客服小孙", Role.AGENT, "stamp")
    account = Account("sun", "客服小孙", Role.AGENT, tuple(Skill), 3, "stamp")
    assert session.holds_for(account)
    assert not session.holds_for(None)  # deactivated
    assert not session.holds_for(Account("sun", "客服小孙", Role.SUPERVISOR, (), 3, "stamp"))
    assert not session.holds_for(Account("sun", "客服小孙", Role.AGENT, (), 3, "new password"))


async def test_a_password_change_changes_the_stamp(accounts: AccountStore, username) -> None:
    created = await accounts.create(username, "客服小钱", "first password")
    await accounts.set_password(username, "second password")
    changed = await accounts.get(username)
    assert changed is not None and changed.password_stamp != created.password_stamp
    assert len(changed.password_stamp) == 16


def test_cli_creates_an_account_with_the_password_from_stdin(tmp_path, redis_process) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "SWA_DATABASE_URL": url, "SWA_REDIS_URL": redis_process.url}
    command = [sys.executable, "-m", "queue_service.agents"]

    def run(*args: str, password: str = "correct horse\n") -> subprocess.CompletedProcess:
        return subprocess.run(
            [*command, *args], input=password, capture_output=True, text=True, env=env, cwd=ROOT
        )

    created = run("create", "wang", "--name", "客服小王", "--skills", "airport,account")
    assert created.returncode == 0, created.stderr
    assert "created agent wang (airport,account)" in created.stdout
    again = run("create", "wang", "--name", "客服小王")
    assert again.returncode == 2 and "taken" in again.stderr
    short = run("passwd", "wang", password="short\n")
    assert short.returncode == 2 and "at least 8" in short.stderr
    bad_skill = run("create", "li", "--name", "客服小李", "--skills", "weather")
    assert bad_skill.returncode == 2 and "skills are among" in bad_skill.stderr
    promoted = run("role", "wang", "supervisor")
    assert promoted.returncode == 0, promoted.stderr
    assert promoted.stdout.strip() == "wang is now supervisor; console sessions ended: 0"
    nobody = run("role", "zhou", "agent")
    assert nobody.returncode == 2 and "no account 'zhou'" in nobody.stderr

    async def check() -> None:
        engine = db.create_engine(url)
        try:
            store = AccountStore(db.session_factory(engine))
            account = await store.authenticate("wang", "correct horse")
            assert account is not None and account.skills == (Skill.AIRPORT, Skill.ACCOUNT)
            assert account.role is Role.SUPERVISOR
        finally:
            await engine.dispose()

    asyncio.run(check())
