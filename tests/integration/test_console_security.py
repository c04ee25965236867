"""Attacks on the agent console that must fail: parallel password guessing, locking an agent
out, stalling the service with logins, sessions that outlive their end, and other sites' pages.

One service on real Redis and SQL (SQLite and PostgreSQL), behind uvicorn's own proxy-headers
middleware as in a deployment behind a reverse proxy, so that each request can come from the
address its X-Forwarded-For names.
"""

from __future__ import annotations

import asyncio
import io
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from redis.asyncio import Redis
from starlette.websockets import WebSocketDisconnect
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from queue_service import db
from queue_service.agents import __main__ as accounts_cli
from queue_service.agents.accounts import AccountStore, Role
from queue_service.app import create_app
from queue_service.bus import Bus
from queue_service.console import auth, login_guard, socket
from queue_service.console import texts as console_texts
from queue_service.console.texts import FOREIGN_ORIGIN
from queue_service.settings import Settings, get_settings
from queue_service.topics import CONSOLE_TOPIC
from tests.integration.test_console_api import PASSWORD, SAME_ORIGIN, create_account
from tests.support.rasa_standins import closed_port_url
from tests.support.service import part

OFFICE = "10.8.0.21"
STRANGER = "198.51.100.7"
EVIL = {"origin": "https://evil.example"}


@dataclass
class Service:
    http: TestClient
    app: FastAPI
    redis_url: str
    database_url: str

    def login(self, username: str, password: str = PASSWORD, address: str = OFFICE):
        return self.http.post(
            "/console/api/login",
            json={"username": username, "password": password},
            headers={"x-forwarded-for": address},
        )

    def call(self, function: Any, *args: Any) -> Any:
        """Run a coroutine function on the service's own event loop."""
        return self.http.portal.call(function, *args)

    def token_only(self, token: str) -> dict[str, str]:
        """Headers that present the session token whatever the client's cookie jar holds (it
        drops a cookie at its max-age, or after a logout, and a Secure one over http)."""
        self.http.cookies.clear()
        return {"cookie": f"{auth.COOKIE}={token}"}

    def counted(self, limit: str, *parts: str) -> int:
        return int(self.call(part(self, Redis).get, ":".join(("swa:limit", limit, *parts))) or 0)


@contextmanager
def running(redis_url: str, database_url: str, **overrides: Any) -> Iterator[Service]:
    settings = Settings(
        redis_url=redis_url,
        database_url=database_url,
        rasa_url=closed_port_url(),
        rasa_timeout_s=0.5,
        # Every request reads its account from SQL: a change shows at once.
        **{"password_hash_queue": 64, "staff_account_check_s": 0, **overrides},
    )
    app = create_app(settings)
    with TestClient(ProxyHeadersMiddleware(app, trusted_hosts="*")) as http:
        http.portal.call(part(app, Redis).flushdb)
        yield Service(http, app, redis_url, database_url)


@pytest.fixture
def service(redis_process, database_url) -> Iterator[Service]:
    with running(redis_process.url, database_url) as service:
        yield service


def closed_within(ws, seconds: float) -> WebSocketDisconnect | None:
    """How the server closed the console socket, if it did within `seconds` (events before the
    close are skipped); None if it is still open."""
    closed: list[WebSocketDisconnect] = []

    def receive() -> None:
        try:
            while True:
                ws.receive_json()
        except WebSocketDisconnect as exc:
            closed.append(exc)

    reader = threading.Thread(target=receive, daemon=True)
    reader.start()
    reader.join(seconds)
    return closed[0] if closed else None


# ------------------------------------------------------------------ password guessing


def test_parallel_guesses_are_all_counted_and_the_limit_holds(service, database_url) -> None:
    wang = create_account(database_url)
    with ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(lambda _: service.login(wang, "guess", STRANGER), range(30)))
    statuses = sorted(a.status_code for a in answers)
    # Exactly as many passwords were checked as the limit allows; every other guess was refused.
    limit = login_guard.PER_USER_AND_ADDRESS
    assert statuses == [401] * limit + [429] * (30 - limit)
    assert service.counted("login-user-ip", wang, STRANGER) == 30
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.json()["detail"] == console_texts.too_many(int(refused.headers["retry-after"]))
    assert 0 < int(refused.headers["retry-after"]) <= login_guard.WINDOW_S
    # The right password does not help the guesser's address either.
    assert service.login(wang, PASSWORD, STRANGER).status_code == 429


def test_a_stranger_cannot_lock_an_agent_out(redis_process, database_url, monkeypatch) -> None:
    monkeypatch.setattr(login_guard, "PER_USER", 15)
    with running(redis_process.url, database_url) as service:
        wang = create_account(database_url)
        assert service.login(wang).status_code == 200  # from the office: a known address
        for _ in range(20):
            service.login(wang, "guess", STRANGER)
        assert service.login(wang, "guess", STRANGER).status_code == 429
        # Locked pair only: the stranger's refused guesses did not count against the account.
        assert service.counted("login-user", wang) == login_guard.PER_USER_AND_ADDRESS
        assert service.login(wang).status_code == 200

        # Many addresses guessing at once push the account over its ceiling: new addresses are
        # refused for the window, the agent's own desk is not.
        for n in range(5):
            assert service.login(wang, "guess", f"203.0.113.{n}").status_code == 401
        over = service.login(wang, PASSWORD, "203.0.113.200")
        assert over.status_code == 429 and int(over.headers["retry-after"]) > 0
        assert service.login(wang).status_code == 200


def test_one_address_cannot_try_many_accounts(service, database_url) -> None:
    names = [f"nobody{n:03d}" for n in range(login_guard.PER_ADDRESS)]
    with ThreadPoolExecutor(10) as pool:
        statuses = set(
            pool.map(lambda name: service.login(name, "guess", STRANGER).status_code, names)
        )
    assert statuses == {401}
    refused = service.login("nobody-else", "guess", STRANGER)
    assert (refused.status_code, refused.json()["detail"]) == (
        429,
        "登录失败次数过多，请 15 分钟后再试。",
    )
    # The refused attempt was taken back from the counter before the one that refused it.
    assert service.counted("login-user-ip", "nobody-else", STRANGER) == 0
    # Another address is not affected.
    assert service.login("nobody-else", "guess", OFFICE).status_code == 401


# ------------------------------------------------------------------ hashing beside the loop


def test_a_password_check_leaves_the_event_loop_free(service) -> None:
    passwords = part(service, AccountStore).passwords

    async def loop_turns_during_one_check() -> int:
        checking = asyncio.ensure_future(passwords.verify(None, "a guess"))
        turns = 0
        while not checking.done():
            await asyncio.sleep(0)
            turns += 1
        assert await checking is False
        return turns

    # Hashed on the loop, the check would be over at the first turn; in its thread it takes
    # thousands of turns.
    assert service.call(loop_turns_during_one_check) > 10


def test_logins_wait_for_a_hashing_thread_and_a_full_pool_refuses_them(
    redis_process, database_url
) -> None:
    with running(
        redis_process.url, database_url, password_hash_threads=1, password_hash_queue=2
    ) as service:
        wang = create_account(database_url)
        assert service.login(wang).status_code == 200
        threads = part(service, AccountStore).passwords.threads
        gate = threading.Event()
        with (
            service.http.websocket_connect("/console/ws", headers=SAME_ORIGIN) as console,
            ThreadPoolExecutor(2) as pool,
        ):
            try:
                service.http.portal.start_task_soon(threads.run, gate.wait)  # the only thread
                logins = [pool.submit(service.login, wang, "guess", STRANGER) for _ in range(2)]
                deadline = time.monotonic() + 10
                while threads.taken < 3 and time.monotonic() < deadline:
                    time.sleep(0.01)
                assert threads.taken == 3  # one running, two logins waiting for it

                # The service goes on serving while logins wait: the API and the console socket.
                assert service.http.get("/console/api/me").json()["username"] == wang
                service.call(part(service, Bus).publish, CONSOLE_TOPIC, {"type": "queue"})
                assert console.receive_json() == {"type": "queue"}
                assert not any(login.done() for login in logins)

                # A fourth check finds the pool full: refused at once, and not counted.
                busy = service.login(wang, "guess", OFFICE)
                assert (busy.status_code, busy.json()["detail"]) == (429, console_texts.BUSY)
                assert busy.headers["retry-after"] == str(auth.BUSY_RETRY_S)
                assert service.counted("login-user-ip", wang, OFFICE) == 0
            finally:
                gate.set()
            assert [login.result().status_code for login in logins] == [401, 401]
        assert service.login(wang).status_code == 200


# ------------------------------------------------------------------ sessions


def test_a_session_ends_at_its_absolute_lifetime(redis_process, database_url) -> None:
    with running(redis_process.url, database_url, staff_session_max_s=2) as service:
        wang = create_account(database_url)
        session = service.token_only(service.login(wang).cookies[auth.COOKIE])
        with service.http.websocket_connect("/console/ws", headers=SAME_ORIGIN | session) as ws:
            # Busy all along (every request extends the idle timeout), and still logged out.
            answers = []
            for _ in range(12):
                answers.append(service.http.get("/console/api/me", headers=session).status_code)
                time.sleep(0.25)
            assert answers[0] == 200 and answers[-1] == 401
            closed = closed_within(ws, socket.SESSION_CHECK_S * 3)
        assert closed is not None
        assert (closed.code, closed.reason) == (1008, console_texts.SESSION_ENDED)


def _cli(service: Service, monkeypatch, *args: str, stdin: str = "") -> int:
    """The accounts CLI, run as an operator would, against the service's database and Redis."""
    monkeypatch.setenv("SWA_DATABASE_URL", service.database_url)
    monkeypatch.setenv("SWA_REDIS_URL", service.redis_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    get_settings.cache_clear()
    try:
        return accounts_cli.main(list(args))
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("ending", ["logout", "passwd", "deactivate", "role"])
def test_ended_sessions_are_refused_and_close_the_console(
    service, database_url, monkeypatch, capsys, ending
) -> None:
    wang = create_account(database_url)
    assert service.login(wang).status_code == 200
    token = service.http.cookies[auth.COOKIE]
    with service.http.websocket_connect("/console/ws", headers=SAME_ORIGIN) as console:
        if ending == "logout":
            assert service.http.post("/console/api/logout").status_code == 204
        elif ending == "passwd":
            assert _cli(service, monkeypatch, "passwd", wang, stdin="a new password\n") == 0
        elif ending == "role":
            assert _cli(service, monkeypatch, "role", wang, "supervisor") == 0
            assert "is now supervisor; console sessions ended: 1" in capsys.readouterr().out
        else:
            assert _cli(service, monkeypatch, ending, wang) == 0
        closed = closed_within(console, socket.SESSION_CHECK_S * 3)
    assert closed is not None
    assert (closed.code, closed.reason) == (1008, console_texts.SESSION_ENDED)
    me = service.http.get("/console/api/me", headers=service.token_only(token))
    assert me.json() == {"detail": console_texts.NOT_LOGGED_IN}


def test_a_change_the_cli_could_not_announce_still_ends_the_session(
    service, database_url, monkeypatch, capsys
) -> None:
    wang = create_account(database_url)
    assert service.login(wang).status_code == 200
    assert service.http.get("/console/api/me").status_code == 200
    monkeypatch.setattr(service, "redis_url", closed_port_url().replace("http", "redis"))
    # The database is changed first; then the CLI says that Redis was out of reach, and fails.
    assert _cli(service, monkeypatch, "role", wang, "supervisor") == 2
    error = capsys.readouterr().err
    assert f"{wang} is now supervisor, but its console sessions were not ended" in error
    assert "Redis (SWA_REDIS_URL) is unreachable" in error

    async def role() -> Role | None:
        engine = db.create_engine(database_url)
        try:
            account = await AccountStore(db.session_factory(engine)).get(wang)
        finally:
            await engine.dispose()
        return account.role if account else None

    assert asyncio.run(role()) is Role.SUPERVISOR
    # The session still in Redis is refused: it was opened by an agent, not by a supervisor.
    assert service.http.get("/console/api/supervisor").status_code == 401
    assert service.http.get("/console/api/me").status_code == 401
    assert service.login(wang).json()["role"] == "supervisor"


# ------------------------------------------------------------------ other sites' pages


def test_other_sites_pages_cannot_use_the_console(service, database_url) -> None:
    wang = create_account(database_url)
    refused = service.http.post(
        "/console/api/login", json={"username": wang, "password": PASSWORD}, headers=EVIL
    )
    assert (refused.status_code, refused.json()) == (403, {"detail": FOREIGN_ORIGIN})
    assert service.counted("login-user-ip", wang, "testclient") == 0

    assert service.login(wang).status_code == 200
    for method, path, body in [
        ("PUT", "/console/api/status", {"status": "online"}),
        ("POST", "/console/api/chats/reply", {"conversation_id": "webchat:x", "text": "hi"}),
        ("POST", "/console/api/logout", None),
    ]:
        answer = service.http.request(method, path, json=body, headers=EVIL)
        assert (answer.status_code, answer.json()) == (403, {"detail": FOREIGN_ORIGIN}), path
    me = service.http.get("/console/api/me", headers=EVIL)  # reading is not state-changing
    assert (me.status_code, me.json()["status"]) == (200, "offline")

    for headers in (EVIL, {"origin": "null"}, {}):
        with (
            pytest.raises(WebSocketDisconnect) as closed,
            service.http.websocket_connect("/console/ws", headers=headers) as ws,
        ):
            ws.receive_json()
        assert (closed.value.code, closed.value.reason) == (1008, FOREIGN_ORIGIN)


def test_the_services_own_origins_are_accepted(redis_process, database_url) -> None:
    public = "https://kefu.example.cn"
    with running(redis_process.url, database_url, public_url=public) as service:
        wang = create_account(database_url)
        login = {"username": wang, "password": PASSWORD}
        # The page as served here, as reached through SWA_PUBLIC_URL (a proxy that rewrites
        # Host), and through a proxy that keeps Host and says the scheme was https.
        for headers in (
            SAME_ORIGIN,
            {"origin": public},
            {
                "origin": "https://chat.example.cn",
                "host": "chat.example.cn",
                "x-forwarded-proto": "https",
            },
        ):
            answer = service.http.post("/console/api/login", json=login, headers=headers)
            session = service.token_only(answer.cookies[auth.COOKIE])
            with service.http.websocket_connect(
                "/console/ws", headers=headers | session
            ) as console:
                service.call(part(service, Bus).publish, CONSOLE_TOPIC, {"type": "queue"})
                assert console.receive_json() == {"type": "queue"}
        # The same host over plain http is another origin.
        spoof = {"origin": "http://kefu.example.cn"}
        assert service.http.post("/console/api/login", json=login, headers=spoof).status_code == 403
