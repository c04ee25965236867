"""Asking for a person through the real bot and hub: skills, the queue, leaving a message."""

import json

import pytest
import redis.asyncio as aioredis

from actions.handoff import ASK_SKILL_TEXT
from kernel.skills import Skill
from queue_service import db
from queue_service.handoff import texts
from queue_service.handoff.queue import AgentStatus, HandoffQueue
from queue_service.handoff.texts import CONTACT_INVALID
from queue_service.handoff.tickets import TicketStatus, TicketStore
from tests.e2e.test_chat import turn
from tests.support.webchat import connect_chat

pytestmark = pytest.mark.e2e


def say(text: str, payload: str | None = None) -> dict:
    frame = {"type": "message", "text": text}
    return frame | {"payload": payload} if payload else frame


def click(button: dict) -> dict:
    return say(button["title"], button["payload"])


async def open_tickets(database_url: str):
    engine = db.create_engine(database_url)
    try:
        return await TicketStore(db.session_factory(engine)).with_status(TicketStatus.OPEN)
    finally:
        await engine.dispose()


async def test_no_agent_online_the_user_picks_a_skill_and_leaves_a_message(stack) -> None:
    async with connect_chat(stack.ws_url) as ws:
        session = json.loads(await ws.recv())
        [ask] = await turn(ws, say("转人工"))
        assert ask["text"] == ASK_SKILL_TEXT
        skills = {b["title"]: b for b in ask["buttons"]}
        [offer] = await turn(ws, click(skills["空港物流"]))
        assert offer["role"] == "system" and offer["text"].startswith(texts.NO_AGENT_TEXT)
        [leave, back] = offer["buttons"]
        assert (leave["title"], back["title"]) == ("留言", "返回智能客服")

        assert (await turn(ws, click(leave)))[0]["text"] == texts.ASK_TEXT_TEXT
        assert (await turn(ws, say("提交货预约一直提交失败")))[0]["text"] == texts.ASK_CONTACT_TEXT
        assert (await turn(ws, say("找我")))[0]["text"] == CONTACT_INVALID
        [done] = await turn(ws, say("bjuser@example.com"))
        assert done["text"].startswith("留言已提交，编号")

        # Back with the bot: a question gets the FAQ's answer again.
        [answer] = await turn(ws, say("法人卡被锁了怎么解锁"))
        assert answer["role"] == "bot" and "解锁" in answer["text"]

    mine = [
        t
        for t in await open_tickets(stack.env["SWA_DATABASE_URL"])
        if t.conversation_id == f"webchat:{session['conversation_id']}"
    ]
    assert [(t.skill, t.text, t.contact) for t in mine] == [
        (Skill.AIRPORT, "提交货预约一直提交失败", "bjuser@example.com")
    ]


async def test_a_phone_number_typed_during_a_message_is_its_contact(stack) -> None:
    """Issue 17: the number is the contact of the message, not a question the FAQ answers."""
    async with connect_chat(stack.ws_url) as ws:
        session = json.loads(await ws.recv())
        [ask] = await turn(ws, say("转人工"))
        skills = {b["title"]: b for b in ask["buttons"]}
        [offer] = await turn(ws, click(skills["跨境电商"]))
        [leave, _] = offer["buttons"]
        assert (await turn(ws, click(leave)))[0]["text"] == texts.ASK_TEXT_TEXT
        [done] = await turn(ws, say("13812345678"))
        assert done["role"] == "system" and done["text"].startswith("留言已提交，编号")
    mine = [
        t
        for t in await open_tickets(stack.env["SWA_DATABASE_URL"])
        if t.conversation_id == f"webchat:{session['conversation_id']}"
    ]
    assert [(t.skill, t.text, t.contact) for t in mine] == [
        (Skill.CROSS_BORDER, texts.CONTACT_ONLY_TICKET_TEXT, "13812345678")
    ]


async def test_with_an_agent_online_the_user_queues_for_the_topic_and_cancels(stack) -> None:
    redis = aioredis.from_url(stack.env["SWA_REDIS_URL"], decode_responses=True)
    queue = HandoffQueue(redis)
    # An agent at work but full: one chat of one. The user waits instead of being served.
    await queue.register_agent("e2e-agent", [Skill.ACCOUNT], capacity=1)
    await queue.touch_presence("e2e-agent", 120)
    await queue.set_status("e2e-agent", AgentStatus.ONLINE)
    await queue.enqueue("webchat:e2e-served", Skill.ACCOUNT)
    assert (await queue.assign_next(Skill.ACCOUNT)).agent_id == "e2e-agent"
    try:
        async with connect_chat(stack.ws_url) as ws:
            await ws.recv()
            # The question read last decides the skill: 法人卡 is 账号与卡介质.
            await turn(ws, say("法人卡被锁了怎么解锁"))
            [queued] = await turn(ws, say("我要人工客服"))
            assert queued["text"].startswith("已为您转接账号与卡介质人工客服，您前面还有 0 位用户")
            assert [b["title"] for b in queued["buttons"]] == ["取消排队"]

            [still] = await turn(ws, say("怎么还没人"))
            assert still["text"] == texts.STILL_QUEUED_TEXT.format(position=1)
            [cancelled] = await turn(ws, click(still["buttons"][0]))
            assert cancelled["text"] == texts.CANCELLED_TEXT
            [answer] = await turn(ws, say("卡介质初始密码是多少"))
            assert answer["role"] == "bot" and "88888888" in answer["text"]
        assert await queue.waiting(Skill.ACCOUNT) == []
    finally:
        await queue.close("webchat:e2e-served", "e2e-agent")
        await queue.set_status("e2e-agent", AgentStatus.OFFLINE)
        await redis.aclose()
