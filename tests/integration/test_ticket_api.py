"""Tickets (留言) from the user's side to the help desk's and back, in one service on real Redis
and SQL: a logged-in web chat user leaves one, agents find it with who left it and the
conversation behind it, take it, answer it in the user's chat and close it; the user hears each
step with the ticket's number and status, and every console hears that tickets changed."""

import pytest
from fastapi.testclient import TestClient

from queue_service.agents.accounts import Role
from queue_service.console import texts as console_texts
from queue_service.handoff import texts
from queue_service.handoff.desk import LEAVE_MESSAGE
from queue_service.transcripts import TranscriptStore
from tests.integration.test_console_api import create_account, log_in, open_console, service
from tests.integration.test_identity import ZHAO, mint
from tests.support.service import part
from tests.support.webchat import open_chat

__all__ = ["service"]  # the fixture, shared with the console API tests


def say(ws, text: str, payload: str | None = None) -> list[dict]:
    ws.send_json({"type": "message", "text": text, "payload": payload})
    return ws.receive_json()["messages"]


def leave_ticket(ws, text: str, contact: str) -> int:
    """From the bot to a ticket, as a user does when no agent is online; the ticket's number."""
    offer = say(ws, "转人工", "/handoff")
    assert offer[-1]["buttons"][0]["title"] == LEAVE_MESSAGE.title
    assert say(ws, LEAVE_MESSAGE.title, LEAVE_MESSAGE.payload)[-1]["text"] == texts.ASK_TEXT_TEXT
    assert say(ws, text)[-1]["text"] == texts.ASK_CONTACT_TEXT
    [done] = say(ws, contact)
    number = int(done["text"].split("编号 ")[1].split("。")[0])
    assert done["text"] == texts.TICKET_TEXT.format(id=number)
    return number


def console_events(console, most: int = 5) -> list[str]:
    """The types of the console's events up to the first about tickets (at most `most`)."""
    seen: list[str] = []
    while "tickets" not in seen and len(seen) < most:
        seen.append(console.receive_json()["type"])
    return seen


def pushed(ws) -> list[str]:
    """The lines the user's socket is sent outside a turn."""
    frame = ws.receive_json()
    assert frame["type"] == "messages", frame
    return [m["text"] for m in frame["messages"]]


def test_a_ticket_is_taken_answered_and_closed_and_the_user_hears_each_step(
    service: TestClient, database_url
) -> None:
    wang, li = create_account(database_url), create_account(database_url)
    boss = create_account(database_url, Role.SUPERVISOR)
    log_in(service, wang)
    with open_console(service) as console, open_chat(service) as chat:
        conversation_id = "webchat:" + chat.receive_json()["conversation_id"]
        chat.send_json({"type": "auth", "token": mint(service, ZHAO)})
        assert chat.receive_json()["type"] == "identity"
        number = leave_ticket(chat, "法人卡密码锁了，电话13812345678", "010-86398038")
        assert "tickets" in console_events(console)  # the 留言 badge is live

        listed = service.get("/console/api/tickets").json()
        [ticket] = [t for t in listed["tickets"] if t["id"] == number]
        assert ticket["status"] == "open" and ticket["status_title"] == "待处理"
        assert ticket["identity"] == ZHAO.label  # who left it, kept with the ticket
        assert ticket["channel"] == "webchat" and ticket["contact"] == "010-86398038"
        assert ticket["text"] == "法人卡密码锁了，电话138****5678"
        unread = service.get("/console/api/tickets", params={"state": "open", "limit": 1}).json()
        assert unread["total"] >= 1 and len(unread["tickets"]) == 1

        # The conversation behind it, bot part included, for any agent.
        detail = service.get(f"/console/api/tickets/{number}").json()
        said = [m["text"] for m in detail["history"] if m["role"] == "user"]
        assert said[:2] == ["转人工", LEAVE_MESSAGE.title] and detail["replies"] == []

        log_in(service, li)
        taken = service.post(f"/console/api/tickets/{number}/assign", json={})
        assert (taken.json()["status"], taken.json()["assignee"]) == ("in_progress", li)
        assert pushed(chat) == [texts.TICKET_TAKEN_TEXT.format(id=number, name=f"客服{li[-3:]}")]
        # An agent may not give tickets to others, nor act on another agent's ticket.
        log_in(service, wang)
        other = service.post(f"/console/api/tickets/{number}/assign", json={"assignee": wang})
        assert (other.status_code, other.json()["detail"]) == (
            403,
            console_texts.TICKET_NOT_YOURS,
        )
        refused = service.post(f"/console/api/tickets/{number}/reply", json={"text": "您好"})
        assert refused.status_code == 403
        mine = service.get("/console/api/tickets", params={"state": "all", "assignee": "me"})
        assert number not in [t["id"] for t in mine.json()["tickets"]]

        log_in(service, li)
        blank = service.post(f"/console/api/tickets/{number}/reply", json={"text": "   "})
        assert (blank.status_code, blank.json()["detail"]) == (422, texts.REPLY_EMPTY)
        answer = "您好，法人卡解锁需携带营业执照到制卡中心办理。"
        replied = service.post(f"/console/api/tickets/{number}/reply", json={"text": answer})
        assert replied.status_code == 200
        assert (replied.json()["status"], replied.json()["sent"]) == ("replied", True)
        assert pushed(chat) == [texts.TICKET_REPLY_TEXT.format(id=number, text=answer)]
        mine = service.get("/console/api/tickets", params={"state": "replied", "assignee": "me"})
        assert number in [t["id"] for t in mine.json()["tickets"]]

        # A supervisor may give it to anyone, and close it.
        log_in(service, boss)
        given = service.post(f"/console/api/tickets/{number}/assign", json={"assignee": wang})
        assert (given.json()["status"], given.json()["assignee"]) == ("replied", wang)
        nobody = service.post(f"/console/api/tickets/{number}/assign", json={"assignee": "nobody"})
        assert (nobody.status_code, nobody.json()["detail"]) == (422, console_texts.NO_SUCH_AGENT)
        closed = service.post(f"/console/api/tickets/{number}/close", json={"note": "已解决"})
        assert closed.json()["status"] == "closed"
        assert pushed(chat) == [texts.TICKET_CLOSED_TEXT.format(id=number)]
        again = service.post(f"/console/api/tickets/{number}/close", json={"note": "再次"})
        assert (again.status_code, again.json()["detail"]) == (409, console_texts.TICKET_GONE)
        late = service.post(f"/console/api/tickets/{number}/reply", json={"text": "补充"})
        assert late.status_code == 409

        detail = service.get(f"/console/api/tickets/{number}").json()
        assert [(r["author"], r["text"]) for r in detail["replies"]] == [(li, answer)]
        assert (detail["done_by"], detail["done_note"]) == (boss, "已解决")

    # A reloaded page finds every step in its history.
    history = service.portal.call(part(service, TranscriptStore).history, conversation_id, 5)
    assert [m.text for m in history][-3:] == [
        texts.TICKET_TAKEN_TEXT.format(id=number, name=f"客服{li[-3:]}"),
        texts.TICKET_REPLY_TEXT.format(id=number, text=answer),
        texts.TICKET_CLOSED_TEXT.format(id=number),
    ]
    assert history[-2].sender_name == f"客服{li[-3:]}"


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"state": "done"}, console_texts.INVALID_INPUT),
        ({"date_from": "2026-13-01"}, console_texts.BAD_DATE),
        ({"date_from": "2026-12-02", "date_to": "2026-12-01"}, console_texts.DATES_REVERSED),
    ],
)
def test_a_bad_search_is_refused_with_the_reason(service, database_url, params, detail) -> None:
    log_in(service, create_account(database_url))
    response = service.get("/console/api/tickets", params=params)
    assert (response.status_code, response.json()["detail"]) == (422, detail)


def test_tickets_are_for_staff_only(service) -> None:
    assert service.get("/console/api/tickets").status_code == 401
    assert service.get("/console/api/tickets/1").status_code == 401
    assert service.post("/console/api/tickets/1/reply", json={"text": "x"}).status_code == 401


def test_a_ticket_that_does_not_exist_is_said_so(service, database_url) -> None:
    log_in(service, create_account(database_url))
    missing = service.get("/console/api/tickets/999999")
    assert (missing.status_code, missing.json()["detail"]) == (404, console_texts.TICKET_NOT_FOUND)
    assert service.post("/console/api/tickets/999999/assign", json={}).status_code == 409
