"""Restarting the service while users wait and chat: the queue, the assignment and the
transcript are in Redis and SQL, so nothing is lost and the chat goes on after reconnecting."""

import json

import httpx
import pytest
import redis.asyncio as aioredis

from kernel.skills import Skill
from queue_service import db
from queue_service.agents.accounts import AccountStore
from queue_service.handoff.phases import Phase
from queue_service.handoff.queue import AgentStatus, HandoffQueue
from tests.support.webchat import connect_chat

pytestmark = pytest.mark.e2e

PASSWORD = "restart password"


async def next_messages(ws) -> list[dict]:
    while (frame := json.loads(await ws.recv()))["type"] != "messages":
        pass
    return frame["messages"]


async def test_queue_assignment_and_transcript_survive_a_service_restart(stack) -> None:
    engine = db.create_engine(stack.env["SWA_DATABASE_URL"])
    await AccountStore(db.session_factory(engine)).create(
        "restart-agent", "客服小周", PASSWORD, skills=[Skill.CROSS_BORDER], capacity=1
    )
    await engine.dispose()
    redis = aioredis.from_url(stack.env["SWA_REDIS_URL"], decode_responses=True)
    queue = HandoffQueue(redis)
    http = httpx.AsyncClient(base_url=stack.service_url, timeout=10)
    try:
        login = {"username": "restart-agent", "password": PASSWORD}
        assert (await http.post("/console/api/login", json=login)).status_code == 200
        await queue.touch_presence("restart-agent", 300)  # as an open console does
        await http.put("/console/api/status", json={"status": "online"})

        sessions = []
        for _ in range(3):
            async with connect_chat(stack.ws_url) as ws:
                sessions.append(json.loads(await ws.recv()))
        ids = [f"webchat:{s['conversation_id']}" for s in sessions]
        served, *waiting = ids
        async with connect_chat(stack.ws_url, sessions[0]["secret"]) as ws:
            await ws.recv()
            await queue.enqueue(served, Skill.CROSS_BORDER)
            claim = await http.post("/console/api/chats/claim", json={"conversation_id": served})
            assert claim.status_code == 200
            await next_messages(ws)  # the agent's greeting
            reply = {"conversation_id": served, "text": "请提供订单编号"}
            assert (await http.post("/console/api/chats/reply", json=reply)).status_code == 200
            assert (await next_messages(ws))[0]["text"] == "请提供订单编号"
        for conversation_id in waiting:
            await queue.enqueue(conversation_id, Skill.CROSS_BORDER)

        stack.stop_service()
        stack.start_service()

        assert [cid for cid, _ in await queue.waiting(Skill.CROSS_BORDER)] == waiting
        conversation = await queue.read(served)
        assert (conversation.phase, conversation.agent) == (Phase.WITH_AGENT, "restart-agent")
        # The user's page reconnects with its secret: history intact, and the chat goes on.
        async with connect_chat(stack.ws_url, sessions[0]["secret"]) as ws:
            history = json.loads(await ws.recv())["history"]
            assert [m["text"] for m in history][-1] == "请提供订单编号"
            await ws.send(json.dumps({"type": "message", "text": "订单号是 A123"}))
            assert await next_messages(ws) == []  # to the agent, not the bot
            reply = {"conversation_id": served, "text": "收到，正在查询"}
            assert (await http.post("/console/api/chats/reply", json=reply)).status_code == 200
            assert (await next_messages(ws))[0]["text"] == "收到，正在查询"
    finally:
        for conversation_id in await queue.chats_of("restart-agent"):
            await queue.close(conversation_id, "restart-agent")
        for skill_waiting in await queue.waiting(Skill.CROSS_BORDER):
            await queue.cancel(skill_waiting[0])
        await queue.set_status("restart-agent", AgentStatus.OFFLINE)
        await http.aclose()
        await redis.aclose()
