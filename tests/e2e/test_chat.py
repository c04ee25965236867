"""Chat through the web chat websocket with the real Rasa and action server behind the hub."""

import json

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.e2e.conftest import RASA_TOKEN

pytestmark = pytest.mark.e2e


async def converse(ws_url: str, text: str, conversation: str = "") -> tuple[str, list[dict]]:
    async with connect(f"{ws_url}?conversation={conversation}") as ws:
        session = json.loads(await ws.recv())
        await ws.send(json.dumps({"type": "message", "text": text}))
        frame = json.loads(await ws.recv())
    assert frame["type"] == "messages"
    return session["conversation_id"], frame["messages"]


async def test_greeting_comes_from_the_action_server_with_buttons(stack) -> None:
    _, replies = await converse(stack.ws_url, "你好")
    assert any(reply["text"] and "单一窗口智能客服" in reply["text"] for reply in replies), replies
    buttons = [b for reply in replies for b in reply["buttons"]]
    assert buttons, "the greeting offers popular questions as buttons"

    # A click sends the payload: the answer is the FAQ the button names.
    _, answer = await converse(stack.ws_url, buttons[0]["title"])
    assert answer and answer[0]["role"] == "bot" and answer[0]["text"]


async def test_faq_question_gets_its_answer(stack) -> None:
    _, replies = await converse(stack.ws_url, "卡介质的初始密码是什么")
    assert "88888888" in " ".join(r["text"] or "" for r in replies)


async def test_conversation_continues_across_reconnects(stack) -> None:
    conversation, _ = await converse(stack.ws_url, "你好")
    await converse(stack.ws_url, "谢谢", conversation)
    async with connect(f"{stack.ws_url}?conversation={conversation}") as ws:
        history = json.loads(await ws.recv())["history"]
    user_lines = [m["text"] for m in history if m["role"] == "user"]
    assert user_lines == ["你好", "谢谢"]
    assert len(history) >= 4
    # Rasa kept the same conversation: its tracker holds both user turns under our id.
    async with httpx.AsyncClient() as http:
        tracker_response = await http.get(
            f"{stack.rasa_url}/conversations/webchat:{conversation}/tracker",
            params={"token": RASA_TOKEN},
        )
    tracker = tracker_response.json()
    said = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
    assert said == ["你好", "谢谢"]


async def test_rasa_api_rejects_calls_without_the_token(stack) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{stack.rasa_url}/conversations/x/tracker")
    assert response.status_code == 401


async def test_oversized_frame_is_refused_without_harm(stack) -> None:
    async with connect(stack.ws_url) as ws:
        conversation = json.loads(await ws.recv())["conversation_id"]
        await ws.send(json.dumps({"type": "message", "text": "大" * 70_000}))
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 1009  # message too big
    _, replies = await converse(stack.ws_url, "谢谢", conversation)
    assert replies and replies[0]["text"]
