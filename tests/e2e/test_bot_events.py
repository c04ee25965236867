"""The bot's events (kernel/bot_events.py) reach the transcript lines through the real Rasa and
action server, on the line the user sees, which they do not change."""

import json

import pytest

from actions.faq import replies
from kernel import bot_events
from tests.support.webchat import connect_chat

pytestmark = pytest.mark.e2e


async def turn(ws, text: str, payload: str | None = None) -> list[dict]:
    await ws.send(json.dumps({"type": "message", "text": text, "payload": payload}))
    reply = json.loads(await ws.recv())
    assert reply["type"] == "messages", reply
    return reply["messages"]


async def test_answers_and_declines_carry_their_events(stack) -> None:
    async with connect_chat(stack.ws_url) as ws:
        await ws.recv()
        [answer] = await turn(ws, "法人卡锁了", '/faq{"faq_entry":"card_locked_legal"}')
        assert answer["text"].startswith("【")
        assert bot_events.events(answer["custom"]) == [
            {"kind": "answer", "entry": "card_locked_legal"}
        ]
        [declined] = await turn(ws, "明天北京会下雨吗")
        assert declined["text"] == replies.DECLINE_TEXT
        assert bot_events.events(declined["custom"]) == [
            {"kind": "decline", "reason": "out_of_scope"}
        ]
        [offered] = await turn(ws, "给我讲个笑话吧")
        assert offered["text"] == replies.OFFER_HUMAN_TEXT
        assert bot_events.events(offered["custom"]) == [{"kind": "decline", "reason": "gave_up"}]
