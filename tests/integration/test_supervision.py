"""Supervision and the agent's side panel: a supervisor listens in on a chat, whispers to its
agent and takes it over; notes stay with staff; the contact panel shows who the user is and
what they had before; 客服状态 lists every agent. One service on real Redis and SQL, a web
chat user on the other side, an agent and a supervisor each with their own session."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio import Redis

from queue_service.agents.accounts import Role
from queue_service.console import auth
from queue_service.console import texts as console_texts
from queue_service.handoff import texts
from queue_service.handoff.chats import DISPOSITION_TITLES, Disposition
from queue_service.handoff.queue import HandoffQueue
from queue_service.transcripts import TranscriptStore
from tests.integration.test_console_api import PASSWORD, SAME_ORIGIN, create_account
from tests.support.rasa_standins import closed_port_url
from tests.support.service import make_client, part
from tests.support.webchat import open_chat


@pytest.fixture
def service(redis_process, database_url):
    with make_client(
        redis_process.url, database_url, closed_port_url(), service_hours="mon-sun 00:00-24:00"
    ) as client:
        client.portal.call(part(client, Redis).flushdb)
        yield client


def session_of(client, username: str) -> dict[str, str]:
    """Headers carrying this person's session, whoever else logs in on the same client."""
    response = client.post("/console/api/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token = response.cookies[auth.COOKIE]
    client.cookies.clear()
    return {"cookie": f"{auth.COOKIE}={token}"}


def next_event(ws, kind: str, limit: int = 20) -> dict[str, Any]:
    """The next event of this type (queue and ticket refreshes pass by meanwhile)."""
    for _ in range(limit):
        event = ws.receive_json()
        if event["type"] == kind:
            return event
    raise AssertionError(f"no {kind!r} event among {limit}")


def test_a_supervisor_listens_whispers_and_takes_the_chat_over(service, database_url) -> None:
    wang = create_account(database_url)
    boss = create_account(database_url, role=Role.SUPERVISOR)
    never_logged_in = create_account(database_url)
    as_wang = session_of(service, wang)
    as_boss = session_of(service, boss)
    service.put("/console/api/status", json={"status": "online"}, headers=as_wang)

    with (
        service.websocket_connect("/console/ws", headers=SAME_ORIGIN | as_wang) as agent_ws,
        service.websocket_connect("/console/ws", headers=SAME_ORIGIN | as_boss) as boss_ws,
        open_chat(service) as chat,
    ):
        user = "webchat:" + chat.receive_json()["conversation_id"]
        chat.send_json({"type": "message", "text": "转人工", "payload": "/handoff"})
        chat.receive_json()  # your place in the queue
        assert chat.receive_json()["messages"][0]["role"] == "agent"
        next_event(agent_ws, "assigned")

        # 客服状态 lists every agent, also one who never logged in (offline).
        view = service.get("/console/api/supervisor", headers=as_boss).json()
        states = {a["username"]: (a["status"], a["connected"]) for a in view["agents"]}
        assert states[never_logged_in] == ("offline", False)
        assert states[wang] == ("online", True)

        # Listening in: an agent may not, the supervisor hears both sides from then on.
        agent_ws.send_json({"type": "listen", "conversation_id": user})
        refused = next_event(agent_ws, "listening")
        assert (refused["on"], refused["detail"]) == (False, console_texts.SUPERVISORS_ONLY)
        boss_ws.send_json({"type": "listen", "conversation_id": user})
        assert next_event(boss_ws, "listening") == {
            "type": "listening",
            "conversation_id": user,
            "on": True,
        }
        chat.send_json({"type": "message", "text": "我的报关单打不开", "payload": None})
        assert chat.receive_json() == {"type": "messages", "messages": []}  # the agent answers
        heard = next_event(boss_ws, "watch")
        assert heard["conversation_id"] == user
        assert heard["messages"][0]["text"] == "我的报关单打不开"
        answer = {"conversation_id": user, "text": "请问是哪一步打不开？"}
        assert service.post("/console/api/chats/reply", json=answer, headers=as_wang).is_success
        assert next_event(boss_ws, "watch")["messages"][0]["text"] == "请问是哪一步打不开？"
        assert chat.receive_json()["messages"][0]["text"] == "请问是哪一步打不开？"

        # Notes: the agent's own; a whisper only from a supervisor, shown to the agent at once.
        note = {"conversation_id": user, "text": "用户手机 13800138000，已提示清缓存"}
        written = service.post("/console/api/notes", json=note, headers=as_wang)
        assert written.status_code == 201
        assert "13800138000" not in written.json()["text"]  # masked like transcripts
        whisper = {"conversation_id": user, "text": "先确认浏览器版本", "whisper": True}
        forbidden = service.post("/console/api/notes", json=whisper, headers=as_wang)
        assert (forbidden.status_code, forbidden.json()["detail"]) == (
            403,
            console_texts.SUPERVISORS_ONLY,
        )
        assert service.post("/console/api/notes", json=whisper, headers=as_boss).is_success
        pushed = next_event(agent_ws, "note")["note"]
        assert (pushed["kind"], pushed["text"], pushed["author"]) == (
            "whisper",
            "先确认浏览器版本",
            boss,
        )
        listed = service.get(
            "/console/api/notes", params={"conversation_id": user}, headers=as_wang
        ).json()["notes"]
        assert [n["kind"] for n in listed] == ["note", "whisper"]

        # The contact panel: channel, the chat in progress, no tickets.
        contact = service.get(
            "/console/api/contact", params={"conversation_id": user}, headers=as_wang
        ).json()
        assert (contact["channel"], contact["identity"], contact["tickets"]) == (
            "webchat",
            None,
            [],
        )
        assert [c["disposition_title"] for c in contact["chats"]] == ["进行中"]

        # Take over: an agent may not; the supervisor may, and user and agent are told.
        ref = {"conversation_id": user}
        denied = service.post("/console/api/chats/takeover", json=ref, headers=as_wang)
        assert denied.status_code == 403
        assert service.post("/console/api/chats/takeover", json=ref, headers=as_boss).is_success
        told = chat.receive_json()["messages"]
        assert told[0]["text"] == texts.TAKEN_OVER_TEXT
        greeting = told[-1] if len(told) > 1 else chat.receive_json()["messages"][0]
        assert greeting["role"] == "agent" and greeting["sender_name"] == f"客服{boss[-3:]}"
        assert next_event(agent_ws, "closed") == {
            "type": "closed",
            "conversation_id": user,
            "taken_by": boss,
        }
        assert next_event(boss_ws, "assigned")["conversation_id"] == user
        again = service.post("/console/api/chats/takeover", json=ref, headers=as_boss)
        assert (again.status_code, again.json()["detail"]) == (409, console_texts.ALREADY_YOURS)

        mine = service.get("/console/api/chats", headers=as_boss).json()["chats"]
        assert [c["conversation_id"] for c in mine] == [user]
        assert service.get("/console/api/chats", headers=as_wang).json()["chats"] == []
        queue = part(service, HandoffQueue)
        loads = [service.portal.call(queue.agent, who).load for who in (wang, boss)]
        assert loads == [0, 1]  # the agent's slot is free again
        late = service.post("/console/api/chats/reply", json=answer, headers=as_wang)
        assert late.status_code == 409
        contact = service.get(
            "/console/api/contact", params={"conversation_id": user}, headers=as_boss
        ).json()
        assert [c["disposition_title"] for c in contact["chats"]] == [
            "进行中",
            DISPOSITION_TITLES[Disposition.TAKEN_OVER],
        ]

    # Nothing staff wrote about the user reached them.
    lines = service.portal.call(part(service, TranscriptStore).history, user, 100)
    said = " ".join(line.text or "" for line in lines)
    assert "先确认浏览器版本" not in said and "清缓存" not in said


def test_staff_read_notes_and_contacts_only_of_their_own_users(service, database_url) -> None:
    wang = create_account(database_url)
    as_wang = session_of(service, wang)
    stranger = "webchat:someone-else"
    for path in ("/console/api/contact", "/console/api/notes"):
        refused = service.get(path, params={"conversation_id": stranger}, headers=as_wang)
        assert (refused.status_code, refused.json()["detail"]) == (403, console_texts.NOT_ALLOWED)
    note = {"conversation_id": stranger, "text": "随便写点"}
    assert service.post("/console/api/notes", json=note, headers=as_wang).status_code == 403
    boss = session_of(service, create_account(database_url, role=Role.SUPERVISOR))
    nobody = service.post(
        "/console/api/notes", json={**note, "whisper": True}, headers=boss
    )
    assert (nobody.status_code, nobody.json()["detail"]) == (
        409,
        console_texts.NOBODY_TO_WHISPER_TO,
    )
    empty = service.post("/console/api/notes", json={**note, "text": "   "}, headers=boss)
    assert empty.status_code == 422
    takeover = service.post(
        "/console/api/chats/takeover", json={"conversation_id": stranger}, headers=boss
    )
    assert (takeover.status_code, takeover.json()["detail"]) == (
        409,
        console_texts.NOT_SERVED_NOW,
    )
