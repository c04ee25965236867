"""The web chat websocket and readiness, against real Redis and SQL, with Rasa down or hung."""

import json

import pytest
from fastapi.testclient import TestClient

from queue_service.handoff.texts import (
    BOT_UNAVAILABLE_TEXT,
    NO_AGENT_TEXT,
    NOT_DELIVERED_TEXT,
)
from tests.support.rasa_standins import closed_port_url, recording_rasa, silent_server
from tests.support.service import make_client
from tests.support.webchat import open_chat


@pytest.fixture
def client(redis_process, database_url):
    with make_client(redis_process.url, database_url, closed_port_url()) as client:
        yield client


def test_session_frame_gives_a_fresh_secret_for_a_missing_or_bad_one(client: TestClient) -> None:
    issued = set()
    for secret in (None, "not-a-secret", "../../etc", "x" * 44):
        with open_chat(client, secret) as ws:
            frame = ws.receive_json()
            assert frame["type"] == "session"
            assert len(frame["conversation_id"]) == 36
            assert len(frame["secret"]) == 43
            assert frame["history"] == []
            issued.add(frame["secret"])
    assert len(issued) == 4


def test_rasa_down_gets_a_polite_answer_and_the_message_is_kept(client: TestClient) -> None:
    with open_chat(client) as ws:
        secret = ws.receive_json()["secret"]
        ws.send_json({"type": "message", "text": "报关单怎么打印"})
        reply = ws.receive_json()
    assert reply["type"] == "messages"
    assert [m["text"] for m in reply["messages"]] == [BOT_UNAVAILABLE_TEXT]
    assert reply["messages"][0]["buttons"] == [{"title": "转人工", "payload": "/handoff"}]

    # A page reload (same secret) gets the whole conversation back, the user's message included.
    with open_chat(client, secret) as ws:
        history = ws.receive_json()["history"]
    assert [(m["role"], m["text"]) for m in history] == [
        ("user", "报关单怎么打印"),
        ("system", BOT_UNAVAILABLE_TEXT),
    ]


def test_hung_rasa_times_out_into_the_same_answer(redis_process, database_url) -> None:
    with (
        silent_server() as rasa_url,
        make_client(redis_process.url, database_url, rasa_url) as client,
        open_chat(client) as ws,
    ):
        ws.receive_json()
        ws.send_json({"type": "message", "text": "你好"})
        reply = ws.receive_json()
    assert reply["messages"][0]["text"] == BOT_UNAVAILABLE_TEXT


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "bad_message"),
        (json.dumps([1, 2]), "bad_message"),
        (json.dumps({"type": "message", "text": 5}), "bad_message"),
        (json.dumps({"type": "message", "text": "a", "payload": {"x": 1}}), "bad_message"),
        (json.dumps({"type": "other", "text": "a"}), "bad_message"),
        (json.dumps({"type": "message", "text": "   "}), "empty"),
        (json.dumps({"type": "message", "text": "长" * 2001}), "too_long"),
    ],
)
def test_bad_frames_get_a_clear_error_and_the_socket_stays_usable(
    client: TestClient, frame: str, code: str
) -> None:
    with open_chat(client) as ws:
        secret = ws.receive_json()["secret"]
        ws.send_text(frame)
        error = ws.receive_json()
        assert error["type"] == "error"
        assert error["code"] == code
        assert error["message"]  # a Chinese sentence the page shows as is
        ws.send_bytes(b"\x00\x01")
        assert ws.receive_json()["code"] == "bad_message"
        ws.send_json({"type": "message", "text": "还在吗"})
        assert ws.receive_json()["type"] == "messages"
    with open_chat(client, secret) as ws:
        history = ws.receive_json()["history"]
    assert [m["text"] for m in history if m["role"] == "user"] == ["还在吗"]


def test_button_click_records_the_title_and_sends_the_payload(client: TestClient) -> None:
    with open_chat(client) as ws:
        secret = ws.receive_json()["secret"]
        ws.send_json({"type": "message", "text": "常见问题", "payload": "/menu"})
        ws.receive_json()
    with open_chat(client, secret) as ws:
        assert ws.receive_json()["history"][0]["text"] == "常见问题"


def test_start_frame_asks_the_bot_without_a_user_line(client: TestClient) -> None:
    with open_chat(client) as ws:
        secret = ws.receive_json()["secret"]
        ws.send_json({"type": "start"})
        reply = ws.receive_json()
    assert [m["role"] for m in reply["messages"]] == ["system"]  # Rasa is down here
    with open_chat(client, secret) as ws:
        history = ws.receive_json()["history"]
    assert [m["role"] for m in history] == ["system"]


def test_readyz_names_what_is_missing(redis_process, database_url) -> None:
    with make_client(redis_process.url, database_url, closed_port_url()) as c:
        response = c.get("/readyz")
        assert response.status_code == 503
        checks = response.json()["checks"]
        assert (checks["redis"], checks["sql"]) == ("ok", "ok")
        assert checks["rasa"] == "unreachable or no model loaded"
        assert c.get("/healthz").json() == {"status": "ok"}
    with make_client("redis://127.0.0.1:1/0", database_url, closed_port_url()) as c:
        checks = c.get("/readyz").json()["checks"]
        assert checks["redis"].startswith("unreachable")


def test_demo_page_is_served_in_chinese(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert "单一窗口智能客服" in page.text
    assert client.get("/webchat/static/webchat.js").status_code == 200


def test_with_rasa_down_the_handoff_button_still_reaches_the_desk(
    empty_redis_url, database_url
) -> None:
    with (
        make_client(
            empty_redis_url,
            database_url,
            closed_port_url(),
            service_hours="mon-sun 00:00-24:00",
        ) as client,
        open_chat(client) as ws,
    ):
        ws.receive_json()
        ws.send_json({"type": "message", "text": "转人工", "payload": "/handoff"})
        [offer] = ws.receive_json()["messages"]
    assert offer["text"].startswith(NO_AGENT_TEXT)
    assert [b["title"] for b in offer["buttons"]] == ["留言", "返回智能客服"]


def test_with_redis_down_nobody_is_asked_and_the_user_is_told(database_url) -> None:
    # Whether an agent serves the user is unknown: the bot must not answer an agent's message.
    dead_redis = closed_port_url().replace("http", "redis")
    with (
        recording_rasa() as rasa,
        make_client(dead_redis, database_url, rasa.url) as client,
        open_chat(client) as ws,
    ):
        ws.receive_json()
        ws.send_json({"type": "message", "text": "报关单怎么打印"})
        reply = ws.receive_json()
        ws.send_json({"type": "message", "text": "转人工", "payload": "/handoff"})
        handoff = ws.receive_json()
    assert [m["text"] for m in reply["messages"]] == [NOT_DELIVERED_TEXT]
    assert [m["text"] for m in handoff["messages"]] == [NOT_DELIVERED_TEXT]
    assert rasa.received == []
