"""Redis stopped, killed or hanging, SQL failing, Rasa answering nothing: every turn is answered
in words within 2 s, nothing said is dropped, and the service recovers without a restart
(issue 16). Real redis-server processes (SIGSTOP, kill), real SQL."""

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text

from integrations.webchat import texts as webchat_texts
from kernel.messages import StoredMessage
from queue_service.console import texts as console_texts
from queue_service.console.canned import CannedStore
from queue_service.handoff.texts import BOT_UNAVAILABLE_TEXT, NOT_DELIVERED_TEXT
from queue_service.transcript_outbox import TranscriptOutbox
from queue_service.turn_ledger import Answered, Claimed, TurnLedger
from tests.integration.test_console_api import create_account, log_in
from tests.support.rasa_standins import closed_port_url, recording_rasa, silent_server
from tests.support.servers import RedisProcess
from tests.support.service import make_client, part
from tests.support.webchat import open_chat

ANSWER_WITHIN_S = 2.0


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisProcess]:
    """A redis-server of this test's own, to stop and kill."""
    server = RedisProcess(tmp_path / "redis")
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        os.kill(server.process.pid, signal.SIGCONT)
    server.stop()


@contextmanager
def stopped(server: RedisProcess) -> Iterator[None]:
    """Redis hangs: its process is stopped (SIGSTOP), connections stay open and unanswered."""
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(server.process.pid, signal.SIGCONT)


def timed_turn(ws, text_: str) -> tuple[dict, float]:
    started = time.monotonic()
    ws.send_json({"type": "message", "text": text_, "ref": 7})
    return ws.receive_json(), time.monotonic() - started


def test_a_hanging_redis_gets_words_within_2s_and_the_message_is_kept(
    own_redis, database_url
) -> None:
    with (
        make_client(own_redis.url, database_url, closed_port_url()) as client,
        open_chat(client) as ws,
    ):
        secret = ws.receive_json()["secret"]
        with stopped(own_redis):
            reply, took = timed_turn(ws, "我的报关单到哪了")
        assert took < ANSWER_WITHIN_S
        # Nobody knows whether an agent serves this user: nobody is asked, the user is told.
        assert [m["text"] for m in reply["messages"]] == [NOT_DELIVERED_TEXT]
        # Redis is back: the next message reaches the bot again (down here: its apology).
        reply, _ = timed_turn(ws, "再问一次")
        assert [m["text"] for m in reply["messages"]] == [BOT_UNAVAILABLE_TEXT]
    with open_chat(client, secret) as ws:
        history = ws.receive_json()["history"]
    assert [m["text"] for m in history if m["role"] == "user"] == ["我的报关单到哪了", "再问一次"]


def test_a_killed_redis_gets_words_and_the_service_recovers_when_it_returns(
    own_redis, database_url
) -> None:
    with (
        make_client(own_redis.url, database_url, closed_port_url()) as client,
        open_chat(client) as ws,
    ):
        ws.receive_json()
        own_redis.process.kill()
        own_redis.process.wait(5)
        reply, took = timed_turn(ws, "你好")
        assert took < ANSWER_WITHIN_S
        assert [m["text"] for m in reply["messages"]] == [NOT_DELIVERED_TEXT]
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["redis"].startswith("unreachable")
        own_redis.start()  # same port, same append-only file
        reply, _ = timed_turn(ws, "你好")
        assert [m["text"] for m in reply["messages"]] == [BOT_UNAVAILABLE_TEXT]
        assert client.get("/readyz").json()["checks"]["redis"] == "ok"


def test_readyz_answers_within_a_second_whatever_hangs(own_redis, database_url) -> None:
    with (
        silent_server() as hung_rasa,
        silent_server() as hung_actions,
        make_client(own_redis.url, database_url, hung_rasa, actions_url=hung_actions) as client,
    ):
        with stopped(own_redis):
            started = time.monotonic()
            response = client.get("/readyz")
            took = time.monotonic() - started
        assert took < 1.5
        assert response.status_code == 503
        checks = response.json()["checks"]
        assert checks["sql"] == "ok"
        assert {checks["redis"], checks["rasa"], checks["actions"]} <= {
            "timed out",
            "unreachable or no model loaded",
            "unreachable: TimeoutError",
            "unreachable: ReadTimeout",
        }
        assert checks["redis"] != "ok"


def test_readyz_checks_the_action_server(redis_process, database_url) -> None:
    with make_client(redis_process.url, database_url, closed_port_url()) as client:
        checks = client.get("/readyz").json()["checks"]
    assert checks["actions"].startswith("unreachable")
    assert checks["redis"] == "ok" and checks["sql"] == "ok"


def test_an_empty_bot_answer_becomes_an_apology(redis_process, database_url) -> None:
    # Rasa answers 200 with nothing when its action server is down.
    with (
        recording_rasa(answers={"报关单怎么打印": []}) as rasa,
        make_client(redis_process.url, database_url, rasa.url) as client,
        open_chat(client) as ws,
    ):
        ws.receive_json()
        reply, _ = timed_turn(ws, "报关单怎么打印")
    assert [m["text"] for m in reply["messages"]] == [BOT_UNAVAILABLE_TEXT]
    assert reply["messages"][0]["buttons"] == [{"title": "转人工", "payload": "/handoff"}]


def _rename_transcripts(database_url: str, old: str, new: str) -> None:
    engine = create_sync_engine(database_url.replace("+aiosqlite", ""))
    with engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))
    engine.dispose()


def test_a_failing_database_defers_the_transcript_and_the_user_is_answered(
    redis_process, database_url
) -> None:
    with (
        recording_rasa() as rasa,
        make_client(redis_process.url, database_url, rasa.url) as client,
    ):
        outbox = part(client, TranscriptOutbox)
        with open_chat(client) as ws:
            secret = ws.receive_json()["secret"]
            # The transcript table gone: every write to it fails, as with a database down.
            _rename_transcripts(database_url, "transcript_messages", "transcript_away")
            try:
                reply, took = timed_turn(ws, "你好")
                assert client.portal.call(outbox.waiting) == 2  # the question, the answer
            finally:
                _rename_transcripts(database_url, "transcript_away", "transcript_messages")
        assert took < ANSWER_WITHIN_S
        # Rasa processed it, so the user is shown its answer now...
        assert [m["text"] for m in reply["messages"]] == ["收到：你好"]
        # ...and the transcript gets both lines once the database answers again (the outbox is
        # drained every second).
        deadline = time.monotonic() + 5
        while client.portal.call(outbox.waiting) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.portal.call(outbox.waiting) == 0
        with open_chat(client, secret) as ws:
            history = ws.receive_json()["history"]
    assert [(m["role"], m["text"]) for m in history] == [("user", "你好"), ("bot", "收到：你好")]
    assert len(rasa.received) == 1


def test_database_and_redis_failing_together_get_an_error_frame_and_the_socket_stays(
    own_redis, database_url
) -> None:
    with (
        make_client(own_redis.url, database_url, closed_port_url()) as client,
        open_chat(client) as ws,
    ):
        ws.receive_json()
        _rename_transcripts(database_url, "transcript_messages", "transcript_away")
        try:
            with stopped(own_redis):
                reply, took = timed_turn(ws, "你好")
        finally:
            _rename_transcripts(database_url, "transcript_away", "transcript_messages")
        assert took < ANSWER_WITHIN_S + 1  # Redis twice (the phase, the outbox), each 1 s
        assert reply["type"] == "error"
        assert reply["code"] == "unavailable"
        assert reply["message"] == webchat_texts.UNAVAILABLE
        assert (reply["dropped"], reply["ref"]) == ("message", 7)
        # The same socket serves the message sent again.
        reply, _ = timed_turn(ws, "你好")
        assert reply["type"] == "messages"


def test_console_apis_answer_json_in_chinese_when_a_store_fails(own_redis, database_url) -> None:
    username = create_account(database_url)
    with make_client(own_redis.url, database_url, closed_port_url()) as client:
        log_in(client, username)
        with stopped(own_redis):
            started = time.monotonic()
            response = client.get("/console/api/chats")
            assert time.monotonic() - started < ANSWER_WITHIN_S
        assert response.status_code == 503
        assert response.json() == {"detail": console_texts.SERVICE_UNAVAILABLE}
        assert response.headers["retry-after"] == "5"
        assert client.get("/console/api/chats").status_code == 200


def test_a_message_sent_again_is_answered_once(redis_process, database_url) -> None:
    with (
        recording_rasa() as rasa,
        make_client(redis_process.url, database_url, rasa.url) as client,
    ):
        with open_chat(client) as ws:
            secret = ws.receive_json()["secret"]
            frame = {"type": "message", "text": "卡介质初始密码", "ref": 1, "id": "m-00000001"}
            ws.send_json(frame)
            first = ws.receive_json()
        # The page lost its socket before the answer came, reconnects and sends it again.
        with open_chat(client, secret) as ws:
            history = ws.receive_json()["history"]
            ws.send_json({**frame, "ref": 5})
            again = ws.receive_json()
    assert again["reply_to"] == 5 and first["reply_to"] == 1
    assert [m["id"] for m in again["messages"]] == [m["id"] for m in first["messages"]]
    assert len(rasa.received) == 1  # one bot turn
    users = [m for m in history if m["role"] == "user"]
    assert [(m["text"], m["message_id"]) for m in users] == [("卡介质初始密码", "m-00000001")]


async def test_a_turn_under_way_is_waited_for_and_one_whose_runner_died_runs_again(
    redis_client,
) -> None:
    ledger = TurnLedger(redis_client, lease_s=0.5, wait_s=2)
    assert await ledger.claim("c1", "m1") == Claimed(None)  # this caller runs the turn
    waiting = asyncio.create_task(ledger.claim("c1", "m1"))  # the same message, sent again
    await asyncio.sleep(0.1)
    assert not waiting.done()
    answer = [StoredMessage(id=41, conversation_id="c1", text="答")]
    await ledger.finish("c1", "m1", answer)
    assert await asyncio.wait_for(waiting, 1) == Answered(answer)
    # A runner that died leaves its claim to expire: the message then runs again.
    assert await ledger.claim("c1", "m2") == Claimed(None)
    await asyncio.sleep(0.6)
    assert await ledger.claim("c1", "m2") == Claimed(None)
    # A failed turn is released at once.
    await ledger.release("c1", "m2")
    assert await ledger.claim("c1", "m2") == Claimed(None)
    # A run that wrote the user's line and died: the next claim brings that line with it.
    line = StoredMessage(id=42, conversation_id="c1", role="user", text="问")
    await ledger.note_said("c1", "m2", line)
    await ledger.release("c1", "m2")
    assert await ledger.claim("c1", "m2") == Claimed(line)


async def test_a_renewed_claim_outlives_its_lease(redis_client) -> None:
    ledger = TurnLedger(redis_client, lease_s=0.3, wait_s=2)
    assert await ledger.claim("c2", "m1") == Claimed(None)
    waiting = asyncio.create_task(ledger.claim("c2", "m1"))
    for _ in range(5):  # a turn waiting in line for 1 s, its runner alive
        await asyncio.sleep(0.2)
        await ledger.renew("c2", "m1")
    assert not waiting.done()
    await ledger.finish("c2", "m1", [])
    assert await asyncio.wait_for(waiting, 1) == Answered([])


def test_any_other_console_failure_is_json_in_chinese(redis_process, database_url) -> None:
    username = create_account(database_url)
    # As a browser sees it: the server's error as a response, not raised in the test.
    with make_client(
        redis_process.url, database_url, closed_port_url(), raise_server_exceptions=False
    ) as client:
        log_in(client, username)
        store = part(client, CannedStore)

        async def broken(*args, **kwargs):
            raise RuntimeError("a bug")

        store.list = broken  # type: ignore[method-assign]
        response = client.get("/console/api/canned")
    assert response.status_code == 500
    assert response.json() == {"detail": console_texts.SERVER_ERROR}


def test_the_service_is_ready_only_after_one_bot_turn_went_through(
    redis_process, database_url
) -> None:
    with (
        # The warm-up turn takes longer than the first /readyz (its checks included) can.
        recording_rasa(delay_s=1.5) as rasa,
        make_client(redis_process.url, database_url, rasa.url, rasa_timeout_s=5) as client,
    ):
        first = client.get("/readyz").json()
        deadline = time.monotonic() + 5
        # (The action server is not running here: only the warm-up check is looked at.)
        while client.get("/readyz").json()["checks"]["warm"] != "ok":
            assert time.monotonic() < deadline, "the warm-up turn never came back"
            time.sleep(0.1)
        ready = client.get("/readyz").json()
    # While the first turn is on its way, not ready; then ready, and no user's turn was used.
    assert first["checks"]["warm"] == "warming up" and not first["ready"]
    assert ready["checks"]["warm"] == "ok"
    assert [w["message"] for w in rasa.warmups] == ["/greet"]
    assert rasa.received == []


def test_a_message_id_belongs_to_its_conversation_and_a_malformed_one_is_ignored(
    redis_process, database_url
) -> None:
    """Someone who learns (or guesses) another page's message id gets nothing of that
    conversation by sending it: ids are kept per conversation. An id outside 8-64 of
    [A-Za-z0-9_-] is no id: each such message is its own turn."""
    frame = {"type": "message", "text": "卡介质初始密码", "id": "shared-0001"}
    with (
        recording_rasa() as rasa,
        make_client(redis_process.url, database_url, rasa.url) as client,
    ):
        with open_chat(client) as ws:
            ws.receive_json()
            ws.send_json({**frame, "text": "我的税单在哪"})
            theirs = ws.receive_json()["messages"]
        with open_chat(client) as ws:
            ws.receive_json()
            ws.send_json(frame)
            mine = ws.receive_json()["messages"]
            for bad in ("x", "../../etc/passwd", "a" * 65, "有中文的编号abc"):
                ws.send_json({**frame, "id": bad})
                assert ws.receive_json()["messages"][0]["text"] == "收到：卡介质初始密码"
    assert [m["text"] for m in mine] == ["收到：卡介质初始密码"]
    assert {m["id"] for m in mine}.isdisjoint(m["id"] for m in theirs)
    assert [b["message"] for b in rasa.received].count("卡介质初始密码") == 5
