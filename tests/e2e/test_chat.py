"""Chat through the web chat websocket with the real Rasa and action server behind the hub."""

import json

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from actions.faq import knowledge, replies
from tests.e2e.conftest import RASA_TOKEN
from tests.support.webchat import connect_chat

pytestmark = pytest.mark.e2e


async def converse(ws_url: str, text: str, secret: str | None = None) -> tuple[dict, list[dict]]:
    """The session frame, and the replies to one message."""
    async with connect_chat(ws_url, secret) as ws:
        session = json.loads(await ws.recv())
        await ws.send(json.dumps({"type": "message", "text": text}))
        frame = json.loads(await ws.recv())
    assert frame["type"] == "messages"
    return session, frame["messages"]


async def turn(ws, frame: dict) -> list[dict]:
    await ws.send(json.dumps(frame))
    reply = json.loads(await ws.recv())
    assert reply["type"] == "messages", reply
    return reply["messages"]


async def test_first_contact_menu_category_and_answer(stack) -> None:
    kb = knowledge.default()
    async with connect_chat(stack.ws_url) as ws:
        await ws.recv()
        greeting = await turn(ws, {"type": "start"})
        assert "单一窗口智能客服" in greeting[0]["text"]
        categories = {b["title"]: b["payload"] for b in greeting[0]["buttons"]}
        assert list(categories) == [c.title for c in kb.categories]

        # A category lists its hot questions; a question button gets that entry's answer.
        hot = await turn(
            ws, {"type": "message", "text": "登录与卡介质", "payload": categories["登录与卡介质"]}
        )
        questions = hot[0]["buttons"]
        login_titles = {e.title for e in kb.in_category("login")}
        assert {b["title"] for b in questions[:-2]} <= login_titles
        answer = await turn(
            ws,
            {"type": "message", "text": questions[0]["title"], "payload": questions[0]["payload"]},
        )
        entry = next(e for e in kb.entries if e.title == questions[0]["title"])
        assert answer[0]["text"] == replies.answer_text(entry)
        assert answer[0]["buttons"][-1] == {"title": "没解决？转人工", "payload": "/handoff"}


async def test_follow_up_after_an_answer(stack) -> None:
    kb = knowledge.default()
    async with connect_chat(stack.ws_url) as ws:
        await ws.recv()
        first = await turn(
            ws,
            {
                "type": "message",
                "text": "法人卡锁了",
                "payload": '/faq{"faq_entry":"card_locked_legal"}',
            },
        )
        assert first[0]["text"] == replies.answer_text(kb.entry("card_locked_legal"))
        follow = await turn(ws, {"type": "message", "text": "那操作员卡呢"})
        assert follow[0]["text"] == replies.answer_text(kb.entry("card_locked_operator"))


async def test_out_of_scope_then_a_human_is_offered(stack) -> None:
    async with connect_chat(stack.ws_url) as ws:
        await ws.recv()
        declined = await turn(ws, {"type": "message", "text": "明天北京会下雨吗"})
        assert declined[0]["text"] == replies.DECLINE_TEXT
        again = await turn(ws, {"type": "message", "text": "给我讲个笑话吧"})
        assert again[0]["text"] == replies.OFFER_HUMAN_TEXT
        assert again[0]["buttons"][0]["payload"] == "/handoff"


async def test_faq_question_gets_its_answer(stack) -> None:
    _, replies = await converse(stack.ws_url, "卡介质的初始密码是什么")
    assert "88888888" in " ".join(r["text"] or "" for r in replies)


async def test_conversation_continues_across_reconnects(stack) -> None:
    session, _ = await converse(stack.ws_url, "你好")
    await converse(stack.ws_url, "谢谢", session["secret"])
    async with connect_chat(stack.ws_url, session["secret"]) as ws:
        history = json.loads(await ws.recv())["history"]
    user_lines = [m["text"] for m in history if m["role"] == "user"]
    assert user_lines == ["你好", "谢谢"]
    assert len(history) >= 4
    # Rasa kept the same conversation: its tracker holds both user turns under our id.
    async with httpx.AsyncClient() as http:
        tracker_response = await http.get(
            f"{stack.rasa_url}/conversations/webchat:{session['conversation_id']}/tracker",
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
    async with connect_chat(stack.ws_url) as ws:
        secret = json.loads(await ws.recv())["secret"]
        await ws.send(json.dumps({"type": "message", "text": "大" * 70_000}))
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 1009  # message too big
    _, replies = await converse(stack.ws_url, "谢谢", secret)
    assert replies and replies[0]["text"]


@pytest.mark.parametrize(
    ("title", "payload"), [("常见问题", "/faq_menu"), ("自助查询", "/query_records")]
)
async def test_a_menu_title_typed_does_what_the_menu_button_does(stack, title, payload) -> None:
    """Typed equals clicked (issue 17) for the menu every channel shows, not only for the buttons
    under the last message: 自助查询 typed is the self-service menu, not the FAQ's how-to."""
    async with connect_chat(stack.ws_url) as ws:
        await ws.recv()
        clicked = await turn(ws, {"type": "message", "text": title, "payload": payload})
        typed = await turn(ws, {"type": "message", "text": f" {title}！"})
    assert typed[0]["text"] == clicked[0]["text"]
    assert typed[0].get("buttons") == clicked[0].get("buttons")
