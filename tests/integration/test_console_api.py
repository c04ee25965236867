"""The agent console's API and websocket with a web chat user on the other side, in one service
on real Redis and SQL (Rasa down: the handoff button still reaches a person)."""

import asyncio
import uuid
from datetime import datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from redis.asyncio import Redis
from starlette.websockets import WebSocketDisconnect

from kernel.clock import CHINA_TZ
from kernel.skills import Skill
from queue_service import db
from queue_service.agents.accounts import AccountStore, Role
from queue_service.console import auth, login_guard
from queue_service.console import texts as console_texts
from queue_service.console.texts import INVALID_INPUT
from queue_service.handoff import texts
from queue_service.handoff.queue import HandoffQueue
from tests.support.rasa_standins import closed_port_url
from tests.support.service import make_client, part
from tests.support.webchat import open_chat

PASSWORD = "console password"
# What a browser sends on the console page's websocket (TestClient's host is "testserver").
SAME_ORIGIN = {"origin": "http://testserver"}


def create_account(database_url: str, role: Role = Role.AGENT, skills=tuple(Skill)) -> str:
    username = f"c{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        engine = db.create_engine(database_url)
        await AccountStore(db.session_factory(engine)).create(
            username, f"客服{username[-3:]}", PASSWORD, role=role, skills=skills
        )
        await engine.dispose()

    asyncio.run(create())
    return username


@pytest.fixture
def service(redis_process, database_url):
    with make_client(
        redis_process.url, database_url, closed_port_url(), service_hours="mon-sun 00:00-24:00"
    ) as client:
        client.portal.call(part(client, Redis).flushdb)
        yield client


def open_console(client: TestClient):
    return client.websocket_connect("/console/ws", headers=SAME_ORIGIN)


def log_in(client: TestClient, username: str) -> None:
    response = client.post("/console/api/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text


def test_staff_must_log_in_and_bad_passwords_are_slowed_down(service, database_url) -> None:
    assert service.get("/console/api/me").json() == {"detail": console_texts.NOT_LOGGED_IN}
    assert service.get("/console/api/me").status_code == 401
    username = create_account(database_url)
    wrong = {"username": username, "password": "wrong password"}
    for _ in range(login_guard.PER_USER_AND_ADDRESS):
        response = service.post("/console/api/login", json=wrong)
        assert (response.status_code, response.json()["detail"]) == (401, console_texts.BAD_LOGIN)
    # Now even the right password waits for the window to pass.
    right = {"username": username, "password": PASSWORD}
    response = service.post("/console/api/login", json=right)
    retry_after = int(response.headers["retry-after"])
    assert 0 < retry_after <= login_guard.WINDOW_S
    assert (response.status_code, response.json()["detail"]) == (
        429,
        console_texts.too_many(retry_after),
    )
    assert response.json()["detail"] == "登录失败次数过多，请 15 分钟后再试。"

    other = create_account(database_url)
    log_in(service, other)
    cookie = service.cookies.get(auth.COOKIE)
    assert cookie and len(cookie) >= 40
    me = service.get("/console/api/me").json()
    assert (me["username"], me["role"], me["status"], me["capacity"]) == (
        other,
        "agent",
        "offline",
        3,
    )
    service.post("/console/api/logout")
    assert service.get("/console/api/me").status_code == 401
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        open_console(service) as ws,
    ):
        ws.receive_json()
    assert closed.value.code == 1008


def test_a_user_is_served_from_handoff_to_rating(service, database_url) -> None:
    wang = create_account(database_url)
    log_in(service, wang)
    assert service.put("/console/api/status", json={"status": "online"}).status_code == 200

    with (
        open_console(service) as console,
        open_chat(service) as chat,
    ):
        user = "webchat:" + chat.receive_json()["conversation_id"]
        chat.send_json({"type": "message", "text": "转人工", "payload": "/handoff"})
        queued = chat.receive_json()["messages"]
        assert queued[-1]["text"] == texts.CONNECTING_TEXT.format(skill="其他")
        greeting = chat.receive_json()["messages"][0]
        assert greeting["role"] == "agent"
        assert greeting["sender_name"] == f"客服{wang[-3:]}"
        assert "agent" not in greeting  # the user sees the display name, not the account
        assert console.receive_json()["type"] in ("queue", "assigned")

        chats = service.get("/console/api/chats").json()["chats"]
        assert [(c["conversation_id"], c["channel"]) for c in chats] == [(user, "webchat")]
        lines = service.get("/console/api/transcript", params={"conversation_id": user}).json()
        assert [m["role"] for m in lines["messages"]] == ["user", "system", "agent"]

        sent = service.post(
            "/console/api/chats/reply", json={"conversation_id": user, "text": "请问有什么问题？"}
        )
        assert sent.status_code == 200
        assert chat.receive_json()["messages"][0]["text"] == "请问有什么问题？"

        chat.send_json({"type": "typing", "on": True})
        chat.send_json({"type": "message", "text": "我的卡锁了", "payload": None})
        assert chat.receive_json() == {"type": "messages", "messages": []}
        events = [console.receive_json() for _ in range(3)]
        typing = next(e for e in events if e["type"] == "typing")
        heard = next(e for e in events if e["type"] == "message")
        assert typing == {"type": "typing", "conversation_id": user, "on": True}
        assert heard["message"]["text"] == "我的卡锁了"

        both = {"conversation_id": user, "to_skill": "airport", "to_agent": wang}
        refused = service.post("/console/api/chats/transfer", json=both)
        assert (refused.status_code, refused.json()["detail"]) == (
            422,
            console_texts.TRANSFER_TARGET,
        )
        listed = service.get("/console/api/agents").json()["agents"]
        assert listed[0]["username"] == wang and listed[0]["status"] == "online"

        bad = service.post("/console/api/chats/close", json={"conversation_id": user})
        assert (bad.status_code, bad.json()["detail"]) == (422, INVALID_INPUT)
        closed = service.post(
            "/console/api/chats/close", json={"conversation_id": user, "disposition": "resolved"}
        )
        assert closed.json()["disposition"] == "resolved"
        prompt = chat.receive_json()["messages"][0]
        assert prompt["text"] == texts.RATE_TEXT

    again = service.post("/console/api/chats/reply", json={"conversation_id": user, "text": "在吗"})
    assert (again.status_code, again.json()["detail"]) == (409, console_texts.NOT_YOUR_CHAT)


def test_the_user_ends_the_human_chat_by_typing_and_rates_it(service, database_url) -> None:
    """WeChat and Telegram users have no header button: the words end the chat too."""
    wang = create_account(database_url)
    log_in(service, wang)
    service.put("/console/api/status", json={"status": "online"})
    with open_console(service) as console, open_chat(service) as chat:
        user = "webchat:" + chat.receive_json()["conversation_id"]
        chat.send_json({"type": "message", "text": "转人工", "payload": "/handoff"})
        chat.receive_json()
        assert chat.receive_json()["messages"][0]["role"] == "agent"
        chat.send_json({"type": "message", "text": " 结束人工服务 ", "payload": None})
        [asked] = chat.receive_json()["messages"]
        assert asked["text"] == texts.RATE_TEXT
        for _ in range(10):
            event = console.receive_json()
            if event["type"] == "closed":
                break
        assert event == {"type": "closed", "conversation_id": user, "ended_by": "user"}
    assert service.get("/console/api/chats").json()["chats"] == []
    assert service.get("/console/api/me").json()["load"] == 0


def test_agents_see_only_their_chats_and_supervisors_see_all(service, database_url) -> None:
    wang = create_account(database_url, skills=[Skill.AIRPORT])
    li = create_account(database_url, skills=[Skill.ACCOUNT])
    boss = create_account(database_url, role=Role.SUPERVISOR, skills=[Skill.OTHER])
    log_in(service, wang)
    service.put("/console/api/status", json={"status": "online"})
    with open_chat(service) as chat:
        user = "webchat:" + chat.receive_json()["conversation_id"]
    queue = part(service, HandoffQueue)
    service.portal.call(queue.enqueue, user, Skill.AIRPORT)
    waiting = service.get("/console/api/queue").json()["skills"]
    assert [(s["skill"], [w["conversation_id"] for w in s["waiting"]]) for s in waiting] == [
        ("airport", [user])
    ]
    assert (
        service.post("/console/api/chats/claim", json={"conversation_id": user}).status_code == 200
    )
    taken = service.post("/console/api/chats/claim", json={"conversation_id": user})
    assert (taken.status_code, taken.json()["detail"]) == (409, console_texts.TAKEN)
    # Each refusal says its own reason: the agent's state first, then the user's.
    service.portal.call(queue.enqueue, "webchat:other-skill", Skill.CROSS_BORDER)
    elsewhere = {"conversation_id": "webchat:other-skill"}
    other = service.post("/console/api/chats/claim", json=elsewhere)
    assert other.json()["detail"] == console_texts.NOT_YOUR_SKILL.format(skill="跨境电商")
    gone = service.post("/console/api/chats/claim", json={"conversation_id": "webchat:nobody"})
    assert gone.json()["detail"] == console_texts.LEFT_QUEUE
    service.put("/console/api/status", json={"status": "busy"})
    busy = service.post("/console/api/chats/claim", json={"conversation_id": "webchat:nobody"})
    assert busy.json()["detail"] == "您当前为“忙碌”状态，请先将状态设为“在线”再接入。"

    log_in(service, li)
    forbidden = service.get("/console/api/transcript", params={"conversation_id": user})
    assert (forbidden.status_code, forbidden.json()["detail"]) == (403, console_texts.NOT_ALLOWED)
    assert service.get("/console/api/queue").json()["skills"][0]["skill"] == "account"
    log_in(service, boss)
    assert (
        service.get("/console/api/transcript", params={"conversation_id": user}).status_code == 200
    )
    assert len(service.get("/console/api/queue").json()["skills"]) == len(Skill)


def test_the_console_page_is_served_in_chinese(service) -> None:
    page = service.get("/console")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text


def test_the_supervisor_view_is_for_supervisors(service, database_url) -> None:
    log_in(service, create_account(database_url))
    refused = service.get("/console/api/supervisor")
    assert (refused.status_code, refused.json()["detail"]) == (403, console_texts.SUPERVISORS_ONLY)
    boss = create_account(database_url, role=Role.SUPERVISOR)
    log_in(service, boss)
    view = service.get("/console/api/supervisor").json()
    assert [s["skill"] for s in view["skills"]] == [s.value for s in Skill]
    assert {a["username"] for a in view["agents"]} >= {boss}
    assert set(view["today"]) == {
        "handled",
        "abandoned",
        "average_wait_s",
        "average_handle_s",
        "csat_average",
        "csat_count",
    }


def test_the_console_says_when_users_cannot_reach_a_person(redis_process, database_url) -> None:
    """Outside service hours users are offered 留言, not the queue: the agent sees it too."""
    today = datetime.now(CHINA_TZ).date()
    holidays = f"{today - timedelta(days=1)}..{today + timedelta(days=1)}"
    with make_client(
        redis_process.url,
        database_url,
        closed_port_url(),
        service_hours="mon-sun 00:00-24:00",
        holidays=holidays,
    ) as client:
        log_in(client, create_account(database_url))
        service = client.get("/console/api/me").json()["service"]
        opening = datetime.combine(today + timedelta(days=2), time(0, 0))
        when = console_texts.NEXT_OPENING.format(when=f"{opening.month}月{opening.day}日 00:00")
        assert service == {
            "open": False,
            "notice": console_texts.OFF_HOURS.format(next_opening=when),
        }


def test_within_service_hours_there_is_no_banner(service, database_url) -> None:
    log_in(service, create_account(database_url))
    assert service.get("/console/api/me").json()["service"] == {"open": True, "notice": None}
