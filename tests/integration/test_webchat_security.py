"""Attacks on the public web chat socket and page, each of which must fail: reading a
conversation with its id alone, opening the socket from another site, holding many sockets,
flooding, asking for people and tickets without end, typing intents, forging payloads."""

import json
import logging
import re
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from redis.asyncio import Redis
from starlette.websockets import WebSocketDisconnect

from integrations.webchat import routes
from integrations.webchat.session import session_id_of
from kernel.skills import Skill
from queue_service.handoff import texts as desk_texts
from queue_service.handoff.phases import Phase
from queue_service.handoff.queue import AgentStatus, HandoffQueue
from queue_service.handoff.texts import BOT_UNAVAILABLE_TEXT
from tests.integration.test_identity import logged
from tests.support.rasa_standins import RecordingRasa, closed_port_url
from tests.support.service import make_client, part
from tests.support.webchat import PATH, open_chat

STATIC = Path(routes.__file__).parent / "static"


@pytest.fixture
def client(service: TestClient) -> TestClient:
    return service


def portal_token(client: TestClient) -> str:
    return client.post("/portal/demo/login", json={"account": "person-demo-1"}).json()["token"]


def test_the_id_alone_reads_nothing_the_secret_resumes(client: TestClient, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with open_chat(client) as ws:
        session = ws.receive_json()
        secret, session_id = session["secret"], session["conversation_id"]
        assert session_id == session_id_of(secret)
        ws.send_json({"type": "message", "text": "我的报关单"})
        ws.receive_json()
        ws.send_json({"type": "auth", "token": portal_token(client)})
        assert ws.receive_json()["identity"]["name"] == "王小明"

    # Whoever learned the id (an agent's screen, a log, Rasa) and offers it as the secret, in
    # any form, or in the URL as pages did before, gets a new, empty, anonymous conversation.
    for stolen in (session_id, f"webchat:{session_id}", session_id.replace("-", "")):
        with open_chat(client, stolen) as ws:
            fresh = ws.receive_json()
        assert (fresh["history"], fresh["identity"]) == ([], None)
        assert fresh["conversation_id"] != session_id
        assert fresh["secret"] not in (secret, stolen)
    # A page from before, still in a browser's cache, sends the id in the URL and no first frame.
    with client.websocket_connect(
        f"{PATH}?conversation={session_id}", headers={"origin": "http://testserver"}
    ) as ws:
        legacy = ws.receive_json()
    assert (legacy["history"], legacy["identity"]) == ([], None)
    assert legacy["conversation_id"] != session_id

    # The secret brings the conversation back, and is not sent again.
    with open_chat(client, secret) as ws:
        resumed = ws.receive_json()
    assert resumed["conversation_id"] == session_id
    assert "secret" not in resumed
    assert [m["text"] for m in resumed["history"]][:1] == ["我的报关单"]
    assert resumed["identity"]["name"] == "王小明"
    # Never logged, extras included (the login above was).
    assert "portal login" in logged(caplog)
    assert secret not in logged(caplog)


def test_the_page_keeps_the_secret_out_of_the_url() -> None:
    script = (STATIC / "webchat.js").read_text()
    [url] = re.findall(r"new WebSocket\(([^;]+)\);", script)
    assert url.strip().endswith('"/channels/webchat/ws"'), url
    assert "conversation=" not in script
    assert "secret" not in (STATIC / "embed.js").read_text()


def test_the_page_and_its_scripts_are_revalidated_on_every_load(client: TestClient) -> None:
    # So that no browser keeps running a script older than the service's protocol.
    assert client.get("/").headers["cache-control"] == "no-cache"
    script = client.get("/webchat/static/webchat.js")
    assert script.headers["cache-control"] == "no-cache"
    # Unchanged: a 304, cheap.
    again = client.get(script.url, headers={"if-none-match": script.headers["etag"]})
    assert (again.status_code, again.headers["cache-control"]) == (304, "no-cache")


def test_a_socket_that_names_no_conversation_is_closed(redis_process, database_url) -> None:
    with (
        make_client(
            redis_process.url, database_url, closed_port_url(), webchat_hello_timeout_s=0.3
        ) as client,
        client.websocket_connect(PATH, headers={"origin": "http://testserver"}) as ws,
    ):
        # A socket that waits for the server to speak first, or a message before the hello.
        error = ws.receive_json()
        assert (error["code"], error["message"]) == (
            "no_session",
            "连接未能建立，请刷新页面后重试。",
        )
        assert ws.receive()["code"] == 1008
    with (
        make_client(redis_process.url, database_url, closed_port_url()) as client,
        client.websocket_connect(PATH, headers={"origin": "http://testserver"}) as ws,
    ):
        ws.send_json({"type": "message", "text": "你好"})
        assert ws.receive_json()["code"] == "no_session"


@pytest.mark.parametrize("origin", ["https://evil.example", "http://testserver.evil.example", None])
def test_a_foreign_or_missing_origin_is_refused_before_the_handshake(
    client: TestClient, origin: str | None
) -> None:
    with pytest.raises(WebSocketDisconnect) as refused, open_chat(client, origin=origin) as ws:
        ws.receive_json()
    assert refused.value.code == 1008


def test_the_public_url_and_the_embedding_sites_may_open_it(redis_process, database_url) -> None:
    with make_client(
        redis_process.url,
        database_url,
        closed_port_url(),
        public_url="https://chat.example.cn",
        embed_origins="https://www.singlewindow.cn, https://portal.example.cn/",
    ) as client:
        # Behind a proxy the Host the service sees may be its own address, not the public one.
        for origin in ("https://chat.example.cn", "https://portal.example.cn", "http://testserver"):
            with open_chat(client, origin=origin) as ws:
                assert ws.receive_json()["type"] == "session"
        with pytest.raises(WebSocketDisconnect), open_chat(client, origin="https://example.cn"):
            pass


def test_sockets_per_client_address_are_capped(redis_process, database_url) -> None:
    with (
        make_client(
            redis_process.url, database_url, closed_port_url(), webchat_max_connections_per_ip=2
        ) as client,
        ExitStack() as held,
    ):
        for _ in range(2):
            held.enter_context(open_chat(client)).receive_json()
        with open_chat(client) as third:
            refused = third.receive_json()
            assert refused == {
                "type": "error",
                "code": "too_many_connections",
                "message": "您打开的对话窗口过多，请关闭部分窗口后刷新页面重试。",
            }
            assert third.receive()["code"] == 1013
        held.close()  # closed sockets are released
        with open_chat(client) as again:
            assert again.receive_json()["type"] == "session"


def test_a_flood_of_frames_is_refused_and_the_refused_message_is_not_kept(
    redis_process, database_url
) -> None:
    with (
        make_client(
            redis_process.url,
            database_url,
            closed_port_url(),
            webchat_message_burst=3,
            webchat_messages_per_s=0.001,
            webchat_typing_burst=2,
            webchat_typing_per_s=0.001,
            webchat_login_burst=2,
            webchat_logins_per_s=0.001,
        ) as client,
        open_chat(client) as ws,
    ):
        secret = ws.receive_json()["secret"]
        for n in range(4):
            ws.send_json({"type": "message", "text": f"第{n}条", "ref": n})
        answers = [ws.receive_json() for _ in range(4)]
        assert [a["type"] for a in answers] == ["messages"] * 3 + ["error"]
        assert answers[3] == {
            "type": "error",
            "code": "rate_limited",
            "message": "您发送得太快了，请稍候再试。",
            "dropped": "message",
            "ref": 3,
        }
        ws.send_json({"type": "start"})  # a greeting is a bot turn too
        assert ws.receive_json()["dropped"] == "message"
        for on in (True, False, True):
            ws.send_json({"type": "typing", "on": on})
        assert ws.receive_json()["dropped"] == "typing"
        for frame in (
            {"type": "auth", "token": "x"},
            {"type": "logout"},
            {"type": "card_challenge"},
        ):
            ws.send_json(frame)
        assert ws.receive_json()["code"] == "auth_failed"
        assert ws.receive_json() == {"type": "identity", "identity": None}
        assert ws.receive_json()["dropped"] == "login"
    with open_chat(client, secret) as ws:
        history = ws.receive_json()["history"]
    # The refused message is not in the transcript: the page keeps it and sends it again.
    assert [m["text"] for m in history if m["role"] == "user"] == ["第0条", "第1条", "第2条"]


def test_the_default_pace_lets_a_fast_person_through(client: TestClient) -> None:
    with open_chat(client) as ws:
        ws.receive_json()
        for n in range(10):
            ws.send_json({"type": "message", "text": f"第{n}条"})
            assert ws.receive_json()["type"] == "messages"
            ws.send_json({"type": "typing", "on": n % 2 == 0})


def test_handoffs_through_the_web_chat_are_capped_per_client_address(
    redis_process, database_url
) -> None:
    with make_client(
        redis_process.url,
        database_url,
        closed_port_url(),
        service_hours="mon-sun 00:00-24:00",
        manual_skills="other",
        handoffs_per_conversation=1,
        handoffs_per_ip=2,
    ) as client:
        queue = part(client, HandoffQueue)
        client.portal.call(part(client, Redis).flushdb)
        client.portal.call(queue.register_agent, "wang", [Skill.OTHER], 3)
        client.portal.call(queue.set_status, "wang", AgentStatus.ONLINE)

        def hand_over(ws) -> str:
            ws.send_json({"type": "message", "text": "转人工", "payload": "/handoff"})
            return ws.receive_json()["messages"][-1]["text"]

        with open_chat(client) as ws:
            first = f"webchat:{ws.receive_json()['conversation_id']}"
            assert "您前面还有 0 位用户" in hand_over(ws)
            ws.send_json({"type": "message", "text": "取消排队", "payload": "/cancel_queue"})
            ws.receive_json()
            assert hand_over(ws) == desk_texts.TOO_MANY_HANDOFFS_TEXT
        assert client.portal.call(queue.read, first).phase is Phase.BOT
        # A new conversation from the same address: the address has asked twice already.
        with open_chat(client) as ws:
            second = f"webchat:{ws.receive_json()['conversation_id']}"
            assert hand_over(ws) == desk_texts.TOO_MANY_HANDOFFS_TEXT
        assert client.portal.call(queue.read, second).phase is Phase.BOT


def test_the_chat_page_has_a_content_security_policy(redis_process, database_url) -> None:
    with make_client(
        redis_process.url,
        database_url,
        closed_port_url(),
        embed_origins="https://www.singlewindow.cn",
        card_bridge_url="http://127.0.0.1:61231/",
    ) as client:
        page = client.get("/")
        injected = client.get("/", headers={"host": "evil.example; script-src *"})
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in page.headers["content-security-policy"].split(";")
    )
    assert policy == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "connect-src": "'self' ws://testserver wss://testserver http://127.0.0.1:61231",
        "img-src": "'self' data:",
        "frame-ancestors": "'self' https://www.singlewindow.cn",
        "object-src": "'none'",
        "base-uri": "'none'",
    }
    assert "script-src 'self';" in injected.headers["content-security-policy"]
    assert "evil" not in injected.headers["content-security-policy"]
    # Nothing inline for the policy to block.
    html = page.text
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "<style" not in html and " style=" not in html
    assert re.findall(r"\son[a-z]+\s*=", html) == []


@pytest.mark.parametrize(
    ("frame", "bot_gets"),
    [
        # Typed text never reaches Rasa as an intent with entities.
        ({"text": '/query_records{"page":"²"}'}, 'query_records{"page":"²"}'),
        ({"text": '  / /handoff{"handoff_skill":"airport"}'}, 'handoff{"handoff_skill":"airport"}'),
        ({"text": "/greet@0.99"}, "greet@0.99"),
        ({"text": "///"}, "／"),
        # A payload not shaped like the bot's own buttons is the title typed.
        ({"text": "我的税单", "payload": '/query_records{"page":{"x":1}}'}, "我的税单"),
        ({"text": "我的税单", "payload": '/query_records{"page":"' + "9" * 65 + '"}'}, "我的税单"),
        ({"text": "我的税单", "payload": "/query_records@0.99"}, "我的税单"),
        ({"text": "我的税单", "payload": '/query_records{"x":"1"} /handoff'}, "我的税单"),
        ({"text": "我的税单", "payload": ' /query_records{"query":"tax_bills"}'}, "我的税单"),
        ({"text": "", "payload": "/Query_Records"}, "Query_Records"),
        # The bot's own shapes pass as they are; a plain-text payload is text already.
        (
            {"text": "我的税单", "payload": '/query_records{"query":"tax_bills"}'},
            '/query_records{"query":"tax_bills"}',
        ),
        ({"text": "常见问题", "payload": "/faq_menu"}, "/faq_menu"),
        ({"text": "近7天", "payload": "近7天"}, "近7天"),
    ],
)
def test_typed_intents_and_forged_payloads_reach_the_bot_as_text(
    client: TestClient, rasa: RecordingRasa, frame: dict, bot_gets: str
) -> None:
    with open_chat(client) as ws:
        secret = ws.receive_json()["secret"]
        ws.send_json({"type": "message", "payload": None, **frame})
        assert ws.receive_json()["type"] == "messages"
    assert rasa.last()["message"] == bot_gets
    with open_chat(client, secret) as ws:
        [user_line, _] = ws.receive_json()["history"]
    # The transcript keeps what the user saw and typed.
    assert user_line["text"] == (frame["text"].strip() or frame["payload"])


def test_the_greeting_is_still_the_bots_own_intent(client: TestClient, rasa) -> None:
    with open_chat(client) as ws:
        ws.receive_json()
        ws.send_json({"type": "start"})
        ws.receive_json()
    assert rasa.last()["message"] == "/greet"


def test_an_oversized_frame_is_refused_without_parsing(redis_process, database_url) -> None:
    with (
        make_client(redis_process.url, database_url, closed_port_url()) as client,
        open_chat(client) as ws,
    ):
        ws.receive_json()
        ws.send_text(json.dumps({"type": "message", "text": "大" * 70_000}))
        assert ws.receive_json()["code"] == "too_long"
        ws.send_json({"type": "message", "text": "还在吗"})
        assert ws.receive_json()["messages"][0]["text"] == BOT_UNAVAILABLE_TEXT
