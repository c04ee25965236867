"""Images both ways in a human chat (issue 20): a web chat user sends one to their agent, the
agent sends one back; every check an upload passes, who may read an image, and how it is served.
One service on real Redis and SQL, a web chat user and the agents' consoles on the other side."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from redis.asyncio import Redis
from starlette.testclient import WebSocketTestSession

from integrations.webchat.images import PATH, SECRET_HEADER
from queue_service.agents.accounts import Role
from queue_service.images import texts
from queue_service.images.refs import PREFIX
from tests.integration.test_console_api import SAME_ORIGIN, create_account
from tests.integration.test_supervision import next_event, session_of
from tests.support.images import GIF, huge_png, photo, png
from tests.support.rasa_standins import closed_port_url
from tests.support.service import make_client, part
from tests.support.webchat import TEST_ORIGIN, open_chat

MAX_BYTES = 4096


@pytest.fixture
def service(redis_process, database_url):
    with make_client(
        redis_process.url,
        database_url,
        closed_port_url(),
        service_hours="mon-sun 00:00-24:00",
        image_max_bytes=MAX_BYTES,
        images_per_conversation=4,
    ) as client:
        client.portal.call(part(client, Redis).flushdb)
        yield client


class Served:
    """A web chat user served by an agent: the user's socket and secret, the agent's console."""

    def __init__(
        self,
        chat: WebSocketTestSession,
        secret: str,
        conversation_id: str,
        agent: str,
        as_agent: dict[str, str],
        agent_ws: WebSocketTestSession,
    ) -> None:
        self.chat, self.secret, self.conversation_id = chat, secret, conversation_id
        self.agent, self.as_agent, self.agent_ws = agent, as_agent, agent_ws

    @property
    def holder(self) -> dict[str, str]:
        return {SECRET_HEADER: self.secret}


@contextmanager
def served(service, database_url) -> Iterator[Served]:
    agent = create_account(database_url)
    as_agent = session_of(service, agent)
    service.put("/console/api/status", json={"status": "online"}, headers=as_agent)
    with (
        service.websocket_connect("/console/ws", headers=SAME_ORIGIN | as_agent) as agent_ws,
        open_chat(service) as chat,
    ):
        session = chat.receive_json()
        chat.send_json({"type": "message", "text": "转人工", "payload": "/handoff"})
        chat.receive_json()  # the desk's answer
        assert chat.receive_json()["messages"][0]["role"] == "agent"  # the agent's greeting
        next_event(agent_ws, "assigned")
        conversation_id = "webchat:" + session["conversation_id"]
        yield Served(chat, session["secret"], conversation_id, agent, as_agent, agent_ws)


def upload(service, body: bytes, headers: dict[str, str]) -> Any:
    return service.post(PATH, content=body, headers={"origin": TEST_ORIGIN, **headers})


def test_a_user_image_reaches_the_agent_and_is_served_safely(service, database_url) -> None:
    with served(service, database_url) as chat:
        sent = upload(service, png(), chat.holder | {"content-type": "image/png"})
        assert sent.status_code == 200, sent.text
        ref = sent.json()["image"]
        assert ref.startswith(PREFIX)
        image_id = ref[len(PREFIX) :]

        line = next_event(chat.agent_ws, "message")["message"]
        assert (line["role"], line["image"], line["text"]) == ("user", ref, None)

        own = service.get(f"{PATH}/{image_id}", headers=chat.holder)
        assert own.status_code == 200
        assert own.content == png()
        assert own.headers["content-type"] == "image/png"
        assert own.headers["x-content-type-options"] == "nosniff"
        assert own.headers["content-security-policy"] == "default-src 'none'"
        assert own.headers["content-disposition"] == f'inline; filename="image-{image_id[:8]}.png"'
        assert own.headers["cache-control"].startswith("private")

        by_agent = service.get(f"/console/api/images/{image_id}", headers=chat.as_agent)
        assert by_agent.status_code == 200
        assert by_agent.content == png()

        # In the transcript: a reload shows it again, and so does the agent's history.
        with open_chat(service, chat.secret) as again:
            history = again.receive_json()["history"]
        assert any(m["image"] == ref and m["role"] == "user" for m in history)


def test_what_is_not_an_image_is_refused_whatever_it_is_called(service, database_url) -> None:
    with served(service, database_url) as chat:
        disguised = b"<html><script>alert(1)</script></html>"
        headers = chat.holder | {
            "content-type": "image/png",
            "content-disposition": 'attachment; filename="photo.png"',
        }
        refused = upload(service, disguised, headers)
        assert refused.status_code == 415
        assert refused.json()["detail"] == texts.NOT_AN_IMAGE

        cut_short = png()[:30]
        assert upload(service, cut_short, chat.holder).json()["detail"] == texts.BROKEN
        assert upload(service, b"", chat.holder).status_code == 422

        # A GIF is fine, and what was glued behind the image is not kept.
        glued = upload(service, GIF + b"PK\x03\x04payload", chat.holder)
        assert glued.status_code == 200
        image_id = glued.json()["image"][len(PREFIX) :]
        kept = service.get(f"{PATH}/{image_id}", headers=chat.holder)
        assert (kept.content, kept.headers["content-type"]) == (GIF, "image/gif")


def test_a_photo_reaches_the_agent_without_where_it_was_taken(service, database_url) -> None:
    sent_photo = photo("JPEG")
    assert b"PhoneMaker" in sent_photo
    with served(service, database_url) as chat:
        sent = upload(service, sent_photo, chat.holder | {"content-type": "image/jpeg"})
        assert sent.status_code == 200, sent.text
        image_id = sent.json()["image"][len(PREFIX) :]
        by_agent = service.get(f"/console/api/images/{image_id}", headers=chat.as_agent)
        assert by_agent.status_code == 200
        assert by_agent.headers["content-type"] == "image/jpeg"
        assert by_agent.content.startswith(b"\xff\xd8")
        assert b"PhoneMaker" not in by_agent.content
        assert b"Exif" not in by_agent.content

        refused = upload(service, huge_png(), chat.holder)
        assert refused.status_code == 413
        assert refused.json()["detail"] == texts.TOO_MANY_PIXELS.format(mp="40")


def test_an_oversized_image_is_refused_before_it_is_read(service, database_url) -> None:
    with served(service, database_url) as chat:
        big = png() + b"\x00" * MAX_BYTES
        declared = upload(service, big, chat.holder)
        assert declared.status_code == 413
        assert declared.json()["detail"] == texts.TOO_LARGE.format(mb=f"{MAX_BYTES / 1048576:g}")

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
            for _ in range(100):
                yield b"\x00" * 1024

        streamed = upload(service, chunks(), chat.holder)  # type: ignore[arg-type]
        assert streamed.status_code == 413
        assert "图片不能超过" in streamed.json()["detail"]


def test_images_are_paced_per_conversation(service, database_url) -> None:
    with served(service, database_url) as chat:
        codes = [upload(service, png(), chat.holder).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 200, 429]
        assert "图片发送过于频繁" in upload(service, png(), chat.holder).json()["detail"]


def test_the_secret_alone_opens_an_image(service, database_url) -> None:
    with served(service, database_url) as chat:
        image_id = upload(service, png(), chat.holder).json()["image"][len(PREFIX) :]

        assert upload(service, png(), {}).status_code == 401
        assert upload(service, png(), {SECRET_HEADER: "not-a-secret"}).status_code == 401
        assert service.get(f"{PATH}/{image_id}").status_code == 401
        with open_chat(service) as other:
            someone_else = {SECRET_HEADER: other.receive_json()["secret"]}
        assert service.get(f"{PATH}/{image_id}", headers=someone_else).status_code == 404
        # The secret is not taken from the URL either.
        query = service.get(f"{PATH}/{image_id}", params={"secret": chat.secret})
        assert query.status_code == 401
        # An upload from another site's page is refused.
        foreign = upload(service, png(), chat.holder | {"origin": "https://evil.example"})
        assert foreign.status_code == 403

        # Staff: an agent who does not serve the user sees nothing; a supervisor may read it.
        stranger = session_of(service, create_account(database_url))
        boss = session_of(service, create_account(database_url, role=Role.SUPERVISOR))
        console_path = f"/console/api/images/{image_id}"
        assert service.get(console_path, headers=stranger).status_code == 404
        assert service.get(console_path).status_code == 401
        assert service.get(console_path, headers=boss).status_code == 200


def test_a_user_with_the_bot_is_told_images_are_for_agents(service) -> None:
    with open_chat(service) as chat:
        secret = chat.receive_json()["secret"]
    refused = upload(service, png(), {SECRET_HEADER: secret})
    assert refused.status_code == 409
    assert refused.json()["detail"] == texts.NOT_WITH_AGENT


def test_an_agent_image_reaches_the_user_and_stays_in_the_transcript(service, database_url) -> None:
    with served(service, database_url) as chat:
        path = "/console/api/chats/image"
        params = {"conversation_id": chat.conversation_id}
        headers = SAME_ORIGIN | chat.as_agent
        sent = service.post(path, params=params, content=png(rgb=(0, 0, 255)), headers=headers)
        assert sent.status_code == 200, sent.text
        line = sent.json()
        assert (line["role"], line["text"]) == ("agent", None)
        image_id = line["image"][len(PREFIX) :]

        shown = chat.chat.receive_json()["messages"][0]
        assert (shown["image"], shown["role"]) == (line["image"], "agent")
        assert service.get(f"{PATH}/{image_id}", headers=chat.holder).content == png(
            rgb=(0, 0, 255)
        )

        # Another site's page cannot make the agent send one; nor can an agent not serving.
        foreign = headers | {"origin": "https://evil.example"}
        assert service.post(path, params=params, content=png(), headers=foreign).status_code == 403
        other = session_of(service, create_account(database_url))
        not_theirs = service.post(path, params=params, content=png(), headers=SAME_ORIGIN | other)
        assert not_theirs.status_code == 409
        wrong = service.post(path, params=params, content=b"GIF00", headers=headers)
        assert wrong.status_code == 415

        transcript = service.get(
            "/console/api/transcript", params=params, headers=chat.as_agent
        ).json()["messages"]
        assert [m["image"] for m in transcript if m["image"]] == [line["image"]]
