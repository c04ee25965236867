"""Verified identity end to end in one service on real Redis and SQL: portal logins over the web
chat socket, bind codes for other channels, the signed metadata Rasa receives, the console."""

import asyncio
import logging
import re
import time
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from redis.asyncio import Redis

from kernel.claims import Identity, Kind, Source
from kernel.messages import InboundMessage
from kernel.signing import METADATA_KEY, SIGNATURE_KEY, verify
from queue_service import db
from queue_service.hub import Hub
from queue_service.identity import bind_codes, texts
from queue_service.identity.service import Identities
from queue_service.settings import Settings
from queue_service.transcripts import TranscriptStore
from tests.integration.test_console_api import create_account, log_in
from tests.support.rasa_standins import RecordingRasa
from tests.support.service import make_client, part
from tests.support.settings import own_secrets
from tests.support.webchat import open_chat

WANG = Identity(Kind.PERSON, "person-demo-1", "王小明", Source.PORTAL)
ZHAO = Identity(Kind.ENTERPRISE, "ent-demo-1", "赵建国", Source.PORTAL, "北京示例进出口有限公司")
SECRET = Settings().identity_secret.get_secret_value()


@pytest.fixture
def service_client(service: TestClient) -> TestClient:
    return service


def mint(client: TestClient, identity: Identity = WANG, ttl_s: int = 600, **kw) -> str:
    return part(client, Identities).tokens.mint(identity, ttl_s, **kw)


def said(client: TestClient, conversation_id: str, text: str) -> list[str]:
    """What the user is told after saying `text` in a channel conversation (not web chat)."""
    replies = client.portal.call(
        part(client, Hub).handle, InboundMessage(conversation_id=conversation_id, text=text)
    )
    return [m.text for m in replies]


def identity_sent(rasa: RecordingRasa, conversation_id: str) -> Identity | None:
    """The identity Rasa received with the last message, checked as the action server does."""
    body = rasa.last()
    assert body["sender"] == conversation_id
    return verify(body.get("metadata"), conversation_id, SECRET)


def chat(ws, text: str) -> list[str]:
    ws.send_json({"type": "message", "text": text})
    return [m["text"] for m in ws.receive_json()["messages"]]


def bind_code(client: TestClient, token: str) -> str:
    response = client.post("/portal/api/bind-codes", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.json()["expires_in"] == bind_codes.CODE_TTL_S
    assert response.headers["cache-control"] == "no-store"
    code = response.json()["code"]
    assert re.fullmatch(r"\d{8}", code)
    return code


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Everything logged, extras included (JSON log lines carry them)."""
    return "\n".join(str(vars(record)) for record in caplog.records)


def test_a_portal_login_reaches_the_actions_signed(service_client, rasa, caplog) -> None:
    client = service_client
    login = client.post("/portal/demo/login", json={"account": "person-demo-1"})
    assert login.status_code == 200
    token = login.json()["token"]
    assert login.json()["identity"]["label"] == WANG.label

    with open_chat(client) as ws:
        session = ws.receive_json()
        conversation_id = f"webchat:{session['conversation_id']}"
        assert session["identity"] is None
        assert chat(ws, "你好") == ["收到：你好"]
        assert "metadata" not in rasa.last()  # anonymous: no metadata at all

        ws.send_json({"type": "auth", "token": token})
        frame = ws.receive_json()
        assert frame["type"] == "identity"
        assert frame["identity"]["name"] == "王小明"
        assert frame["identity"]["label"] == "王小明（个人，已验证）"
        assert frame["identity"]["expires_at"] > time.time() + 3000
        chat(ws, "我的额度")
        assert identity_sent(rasa, conversation_id) == WANG
        # Web chat is never bound: the portal login is what counts there.
        assert chat(ws, "绑定 12345678") == [texts.WEBCHAT_LOGGED_IN.format(who="王小明")]
        assert chat(ws, "解除绑定") == [texts.WEBCHAT_UNBIND]

    # A reload finds the login; a start (greeting) carries it too.
    with open_chat(client, session["secret"]) as ws:
        assert ws.receive_json()["identity"]["name"] == "王小明"
        ws.send_json({"type": "start"})
        ws.receive_json()
        assert identity_sent(rasa, conversation_id) == WANG
        # Another user logs in on the portal: the conversation is theirs now.
        ws.send_json({"type": "auth", "token": mint(client, ZHAO)})
        assert ws.receive_json()["identity"]["label"] == "赵建国（北京示例进出口有限公司）"
        chat(ws, "我的报关单")
        assert identity_sent(rasa, conversation_id) == ZHAO
        ws.send_json({"type": "logout"})
        assert ws.receive_json() == {"type": "identity", "identity": None}
        chat(ws, "我的报关单")
        assert "metadata" not in rasa.last()

    assert "portal login" in logged(caplog)
    assert token not in logged(caplog)


def test_a_refused_token_leaves_the_conversation_anonymous(service_client, rasa, caplog) -> None:
    client = service_client
    now = int(time.time())
    expired = mint(client, ttl_s=600, now=now - 3600)
    forged = mint(client)[:-4] + "AAAA"
    with open_chat(client) as ws:
        conversation_id = f"webchat:{ws.receive_json()['conversation_id']}"
        for bad in (expired, forged, "x" * 5000, 42):
            ws.send_json({"type": "auth", "token": mint(client)})
            assert ws.receive_json()["identity"]["name"] == "王小明"
            ws.send_json({"type": "auth", "token": bad})
            assert ws.receive_json() == {
                "type": "error",
                "code": "auth_failed",
                "message": texts.TOKEN_REFUSED,
            }
            chat(ws, "我的额度")
            assert identity_sent(rasa, conversation_id) is None
    logs = logged(caplog)
    assert "'reason': 'expired'" in logs and "'reason': 'bad_signature'" in logs
    assert expired not in logs and forged not in logs


def test_the_identity_ends_with_the_token(service_client, rasa) -> None:
    client = service_client
    short = mint(client, ttl_s=602, now=int(time.time()) - 600)  # 2 s left
    with open_chat(client) as ws:
        conversation_id = f"webchat:{ws.receive_json()['conversation_id']}"
        ws.send_json({"type": "auth", "token": short})
        assert ws.receive_json()["identity"]["name"] == "王小明"
        chat(ws, "我的额度")
        assert identity_sent(rasa, conversation_id) == WANG
        time.sleep(2.5)
        chat(ws, "我的额度")
        assert identity_sent(rasa, conversation_id) is None


def test_bind_codes_are_for_portal_users_only(service_client) -> None:
    client = service_client
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": mint(client)}):
        response = client.post("/portal/api/bind-codes", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"detail": texts.TOKEN_REFUSED}
        assert response.headers["www-authenticate"] == "Bearer"
    token = mint(client)
    codes = {bind_code(client, token) for _ in range(bind_codes.MAX_ISSUED)}
    assert len(codes) == bind_codes.MAX_ISSUED
    response = client.post("/portal/api/bind-codes", headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json()) == (429, {"detail": texts.TOO_MANY_CODES})
    # The limit is per portal user.
    bind_code(client, mint(client, ZHAO))


def test_a_channel_account_is_bound_once_per_code_and_unbound(service_client, rasa) -> None:
    client = service_client
    code = bind_code(client, mint(client))
    telegram, wechat = "telegram:4242", "wechat:oAbC123"

    # Web chat conversations use the portal login: the code is not spent there.
    with open_chat(client) as ws:
        ws.receive_json()
        [reply] = chat(ws, f"绑定 {code}")
    assert reply == texts.WEBCHAT_BIND.format(url="http://localhost:8000/portal/demo")

    said(client, telegram, "你好")
    assert identity_sent(rasa, telegram) is None
    # Whatever a channel puts in metadata, only the hub vouches for an identity.
    forged = {METADATA_KEY: {"claims": ZHAO.to_claims()}, SIGNATURE_KEY: "forged", "x": 1}
    inbound = InboundMessage(conversation_id=telegram, text="我的报关单", metadata=forged)
    client.portal.call(part(client, Hub).handle, inbound)
    assert rasa.last()["metadata"] == {"x": 1}
    full_width = "".join(chr(ord(d) + 0xFEE0) for d in code)
    [reply] = said(client, telegram, f"绑定　{full_width}")
    assert reply == texts.BOUND.format(who="王小明")
    said(client, telegram, "我的额度")
    bound = identity_sent(rasa, telegram)
    assert (bound.subject, bound.name, bound.source) == ("person-demo-1", "王小明", Source.BINDING)
    # The code is written to the transcript masked.
    history = client.portal.call(part(client, TranscriptStore).history, telegram, 20)
    assert "绑定 ********" in [m.text for m in history]
    assert not any(code in (m.text or "") for m in history)

    # Used once: nobody else can bind with it.
    assert said(client, wechat, f"/bind {code}") == [texts.BAD_CODE]
    assert said(client, wechat, "bind 123") == [texts.CODE_FORMAT]

    assert said(client, telegram, "解除绑定") == [texts.UNBOUND.format(who="王小明")]
    said(client, telegram, "我的额度")
    assert identity_sent(rasa, telegram) is None
    assert said(client, telegram, "/unbind") == [texts.NOT_BOUND]


def test_an_expired_code_binds_nothing(service_client, rasa) -> None:
    client = service_client
    code = bind_code(client, mint(client, ZHAO))
    redis = part(client, Redis)
    ttl = client.portal.call(redis.ttl, f"swa:bind:code:{code}")
    assert bind_codes.CODE_TTL_S - 5 <= ttl <= bind_codes.CODE_TTL_S
    client.portal.call(redis.pexpire, f"swa:bind:code:{code}", 1)  # ten minutes later
    time.sleep(0.05)
    assert said(client, "telegram:1", f"绑定 {code}") == [texts.BAD_CODE]
    said(client, "telegram:1", "我的报关单")
    assert identity_sent(rasa, "telegram:1") is None


def test_guessing_codes_is_cut_off(service_client) -> None:
    client = service_client
    code = bind_code(client, mint(client))
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    for _ in range(bind_codes.MAX_ATTEMPTS):
        assert said(client, "telegram:666", f"绑定 {wrong}") == [texts.BAD_CODE]
    # Now even the right code waits; it is not spent by the refused try.
    assert said(client, "telegram:666", f"绑定 {code}") == [texts.TOO_MANY]
    # Only the five failures spent the service-wide budget, not the refused try.
    failures = client.portal.call(part(client, Redis).get, "swa:limit:bind-failures")
    assert failures == str(bind_codes.MAX_ATTEMPTS)
    assert said(client, "telegram:777", f"绑定 {code}") == [texts.BOUND.format(who="王小明")]


def guess_at_once(client: TestClient, guesses: dict[str, str]) -> dict[str, list[str]]:
    """What each conversation is told when all of them send "绑定 <code>" at the same moment."""
    hub = part(client, Hub)

    async def all_at_once() -> list:
        return await asyncio.gather(
            *(
                hub.handle(InboundMessage(conversation_id=conversation, text=f"绑定 {code}"))
                for conversation, code in guesses.items()
            )
        )

    answers = client.portal.call(all_at_once)
    return {c: [m.text for m in replies] for c, replies in zip(guesses, answers, strict=True)}


@pytest.fixture
def budget_of_ten(redis_process, database_url, rasa) -> Iterator[TestClient]:
    """A service that lets 10 failed bind tries through per ten minutes, all accounts together."""
    with make_client(redis_process.url, database_url, rasa.url, bind_failure_budget=10) as client:
        client.portal.call(part(client, Redis).flushdb)
        yield client


def test_many_accounts_guessing_at_once_stop_at_the_service_wide_budget(
    budget_of_ten, caplog
) -> None:
    client = budget_of_ten
    redis = part(client, Redis)
    code = bind_code(client, mint(client))
    # 40 fresh accounts, one guess each: no account reaches its own limit.
    guesses = {f"telegram:{9000 + n}": f"{(int(code) + 1 + n) % 10**8:08d}" for n in range(40)}
    told = list(guess_at_once(client, guesses).values())
    paused = [texts.BIND_PAUSED.format(minutes=10)]
    assert told.count([texts.BAD_CODE]) == 10
    assert told.count(paused) == 30
    assert any(
        r.levelno == logging.WARNING and "bind attempts paused" in r.getMessage()
        for r in caplog.records
    )
    # Paused for everyone, the right code too (else every guess would pass); not spent, and
    # the user's own tries are not used up by the pause.
    for _ in range(bind_codes.MAX_ATTEMPTS + 1):
        assert said(client, "telegram:9999", f"绑定 {code}") == paused
    # The ten minutes are over: the code binds, and a success spends none of the budget.
    client.portal.call(redis.delete, "swa:limit:bind-failures")
    bound = [texts.BOUND.format(who="王小明")]
    assert said(client, "telegram:9999", f"绑定 {code}") == bound
    assert client.portal.call(redis.get, "swa:limit:bind-failures") == "0"


def test_right_codes_never_spend_the_budget(redis_process, database_url, rasa) -> None:
    with make_client(redis_process.url, database_url, rasa.url, bind_failure_budget=2) as client:
        client.portal.call(part(client, Redis).flushdb)
        for n in range(4):
            code = bind_code(client, mint(client, ZHAO))
            assert said(client, f"telegram:{7100 + n}", f"绑定 {code}") == [
                texts.BOUND.format(who="赵建国（北京示例进出口有限公司）")
            ]
        assert said(client, "telegram:7200", "绑定 00000000") == [texts.BAD_CODE]
        assert said(client, "telegram:7201", "绑定 00000001") == [texts.BAD_CODE]
        assert said(client, "telegram:7202", "绑定 00000002") == [
            texts.BIND_PAUSED.format(minutes=10)
        ]


def test_one_account_gets_at_most_a_days_share_of_tries(service_client) -> None:
    client = service_client
    code = bind_code(client, mint(client))
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    conversation = "wechat:o-patient-guesser"
    rounds = bind_codes.MAX_ATTEMPTS_PER_DAY // bind_codes.MAX_ATTEMPTS
    for _ in range(rounds):
        for _ in range(bind_codes.MAX_ATTEMPTS):
            assert said(client, conversation, f"绑定 {wrong}") == [texts.BAD_CODE]
        assert said(client, conversation, f"绑定 {code}") == [texts.TOO_MANY]
        # Ten minutes later: a new window, but the day's count goes on.
        client.portal.call(part(client, Redis).delete, f"swa:limit:bind-attempts:{conversation}")
    today = [texts.TOO_MANY_TODAY.format(hours=24)]
    assert said(client, conversation, f"绑定 {code}") == today
    assert said(client, "wechat:o-someone-else", f"绑定 {code}") == [
        texts.BOUND.format(who="王小明")
    ]


def test_a_binding_survives_a_restart(redis_process, database_url, rasa) -> None:
    conversation_id = "telegram:20261124"
    with make_client(redis_process.url, database_url, rasa.url) as client:
        client.portal.call(part(client, Redis).flushdb)
        code = bind_code(client, mint(client, ZHAO))
        assert said(client, conversation_id, f"绑定 {code}") == [
            texts.BOUND.format(who="赵建国（北京示例进出口有限公司）")
        ]
    # A new service process, and Redis emptied too: the binding is in SQL.
    with make_client(redis_process.url, database_url, rasa.url) as client:
        client.portal.call(part(client, Redis).flushdb)
        said(client, conversation_id, "我的报关单")
        bound = identity_sent(rasa, conversation_id)
        assert (bound.kind, bound.subject, bound.enterprise_name) == (
            Kind.ENTERPRISE,
            "ent-demo-1",
            "北京示例进出口有限公司",
        )
        said(client, conversation_id, "解绑")
    with make_client(redis_process.url, database_url, rasa.url) as client:
        client.portal.call(part(client, Redis).flushdb)
        said(client, conversation_id, "我的报关单")
        assert identity_sent(rasa, conversation_id) is None


def test_the_console_shows_who_the_user_is(redis_process, database_url, rasa) -> None:
    with make_client(
        redis_process.url,
        database_url,
        rasa.url,
        service_hours="mon-sun 00:00-24:00",
        manual_skills="other",
    ) as client:
        client.portal.call(part(client, Redis).flushdb)
        agent = create_account(database_url)
        log_in(client, agent)
        assert client.put("/console/api/status", json={"status": "online"}).status_code == 200
        with open_chat(client) as ws:
            conversation_id = f"webchat:{ws.receive_json()['conversation_id']}"
            ws.send_json({"type": "auth", "token": mint(client)})
            ws.receive_json()
            ws.send_json({"type": "message", "text": "转人工", "payload": "/handoff"})
            assert "您前面还有 0 位用户" in ws.receive_json()["messages"][-1]["text"]

            waiting = client.get("/console/api/queue").json()["skills"]
            [user] = [u for s in waiting for u in s["waiting"]]
            assert (user["conversation_id"], user["identity"]) == (conversation_id, WANG.label)
            claim = {"conversation_id": conversation_id}
            assert client.post("/console/api/chats/claim", json=claim).status_code == 200
            [served] = client.get("/console/api/chats").json()["chats"]
            assert served["identity"] == "王小明（个人，已验证）"

            ws.send_json({"type": "logout"})
            while ws.receive_json()["type"] != "identity":
                pass  # the agent's greeting comes first
            [served] = client.get("/console/api/chats").json()["chats"]
            assert served["identity"] is None


def test_the_demo_portal_exists_in_demo_mode_only(redis_process, database_url, rasa) -> None:
    with make_client(redis_process.url, database_url, rasa.url) as client:
        page = client.get("/portal/demo")
        assert page.status_code == 200
        assert '<html lang="zh-CN">' in page.text and "演示门户" in page.text
        assert client.get("/portal/static/demo.js").status_code == 200
        accounts = client.get("/portal/demo/accounts").json()["accounts"]
        assert [a["name"] for a in accounts] == ["王小明", "李小红", "赵建国", "孙丽"]
        refused = client.post("/portal/demo/login", json={"account": "someone"})
        assert (refused.status_code, refused.json()) == (422, {"detail": texts.NO_SUCH_ACCOUNT})
    with make_client(redis_process.url, database_url, rasa.url, **own_secrets()) as client:
        assert client.get("/portal/demo").status_code == 404
        assert (
            client.post("/portal/demo/login", json={"account": "person-demo-1"}).status_code == 404
        )
        assert client.get("/portal/static/demo.js").status_code == 404
        # The bind-code API is for the real portal: still there.
        assert client.post("/portal/api/bind-codes").status_code == 401


async def test_the_migration_creates_the_bindings_table_as_modelled(database_url) -> None:
    engine = db.create_engine(database_url)

    def differences(connection) -> list:
        context = MigrationContext.configure(connection)
        return [
            d for d in compare_metadata(context, db.Base.metadata) if "channel_bindings" in repr(d)
        ]

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []
    await engine.dispose()
