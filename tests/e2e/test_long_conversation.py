"""A long conversation stays cheap: Rasa's stored tracker is bounded (rasa_addons/
tracker_store.py) while answers, slots and the transcript in SQL stay whole (issue 16)."""

import json

import pytest
import redis

from tests.support.webchat import connect_chat_sync

pytestmark = pytest.mark.e2e

QUESTIONS = ["卡介质初始密码是多少", "卡被锁了怎么办", "客服电话多少", "怎么登录单一窗口"]
TURNS = 80


def test_rasa_keeps_a_bounded_tracker_and_the_same_answers(stack) -> None:
    answers: dict[str, list[str]] = {}
    # A person's pace would make this test last minutes: a service beside the stack's lets the
    # turns through back to back.
    with (
        stack.extra_service("fast-pace", SWA_WEBCHAT_MESSAGE_BURST="1000") as url,
        connect_chat_sync(url.replace("http", "ws", 1) + "/channels/webchat/ws") as ws,
    ):
        conversation_id = json.loads(ws.recv())["conversation_id"]
        for turn in range(TURNS):
            question = QUESTIONS[turn % len(QUESTIONS)]
            ws.send(json.dumps({"type": "message", "text": question}))
            frame = json.loads(ws.recv(timeout=30))
            assert frame["type"] == "messages"
            answers.setdefault(question, []).append(frame["messages"][0]["text"])
    # The same question is answered the same at turn 80 as at turn 1.
    for question, said in answers.items():
        assert len(set(said)) == 1, question
    client = redis.Redis.from_url(stack.env["SWA_REDIS_URL"], decode_responses=True)
    stored = json.loads(client.get(f"swa:tracker:webchat:{conversation_id}"))
    assert 0 < len(stored["events"]) <= 100
    user_turns = [e for e in stored["events"] if e["event"] == "user"]
    assert len(user_turns) < TURNS  # older turns were let go
    assert user_turns[-1]["text"] == QUESTIONS[(TURNS - 1) % len(QUESTIONS)]
