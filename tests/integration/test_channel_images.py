"""Images both ways between a WeChat or Telegram user and their agent (issue 20), through the
channels' real APIs as the stand-ins speak them: the user's picture is fetched (Telegram getFile
and the file download; WeChat media/get), checked like a web chat upload and shown to the
agent; the agent's picture goes out as Telegram sendPhoto, or a WeChat media upload and a
customer-service image message. Real Redis and SQL, a Rasa stand-in."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from queue_service.images import texts
from queue_service.images.refs import PREFIX
from tests.integration.test_console_api import SAME_ORIGIN, create_account
from tests.integration.test_supervision import session_of
from tests.integration.test_telegram_channel import deliver, telegram_client
from tests.integration.test_wechat_channel import post, wechat_client
from tests.support.images import png
from tests.support.telegram_standin import TelegramUser

RED, BLUE = png(8, 8, (200, 0, 0)), png(6, 4, (0, 0, 200))


def online_agent(client: TestClient, database_url: str) -> dict[str, str]:
    """An agent's console session, online for every skill."""
    as_agent = session_of(client, create_account(database_url))
    client.put("/console/api/status", json={"status": "online"}, headers=as_agent)
    return as_agent


def eventually(check: Callable[[], Any], timeout_s: float = 10) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert result, "not within the time"
    return result


def transcript(client: TestClient, conversation_id: str, as_agent: dict) -> list[dict]:
    response = client.get(
        "/console/api/transcript", params={"conversation_id": conversation_id}, headers=as_agent
    )
    # 403 until the agent serves the user.
    return response.json()["messages"] if response.status_code == 200 else []


def user_images(client: TestClient, conversation_id: str, as_agent: dict) -> list[str]:
    lines = transcript(client, conversation_id, as_agent)
    return [m["image"] for m in lines if m["role"] == "user" and m["image"]]


def send_agent_image(client: TestClient, conversation_id: str, as_agent: dict) -> dict:
    response = client.post(
        "/console/api/chats/image",
        params={"conversation_id": conversation_id},
        content=BLUE,
        headers=SAME_ORIGIN | as_agent,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_telegram_photos_both_ways(empty_redis_url, database_url) -> None:
    with telegram_client(
        empty_redis_url, database_url, service_hours="mon-sun 00:00-24:00", image_max_bytes=4096
    ) as (client, _, api):
        as_agent = online_agent(client, database_url)
        # The agent is at their desk (without a console the round sets them away).
        with client.websocket_connect("/console/ws", headers=SAME_ORIGIN | as_agent):
            user, conversation = TelegramUser(611), "telegram:611"

            # With the bot, a photo is not taken: the user is told it is for a human chat.
            api.files["early"] = RED
            deliver(client, user.photo(("early", 90, len(RED))))
            assert api.wait_for(1, 611)[-1] == texts.NOT_WITH_AGENT

            deliver(client, user.text("/human"))
            eventually(
                lambda: any(
                    m["role"] == "agent" for m in transcript(client, conversation, as_agent)
                )
            )

            # Telegram offers sizes: the largest within the limit is fetched and shown to the agent.
            api.files["small"], api.files["large"] = RED, b"\xff\xd8\xff" + b"\x00" * 9000
            sent = len(api.texts(611))
            deliver(client, user.photo(("small", 90, len(RED)), ("large", 1280, 9003)))
            [ref] = eventually(lambda: user_images(client, conversation, as_agent))
            image = client.get(f"/console/api/images/{ref[len(PREFIX) :]}", headers=as_agent)
            assert image.content == RED
            assert "getFile" in api.calls

            # A file that is not an image is refused with words, and nothing reaches the agent.
            api.files["fake"] = b"MZ\x90\x00 not a picture"
            deliver(client, user.photo(("fake", 90, 20)))
            assert eventually(lambda: api.texts(611)[sent:]) == [texts.NOT_AN_IMAGE]
            assert len(user_images(client, conversation, as_agent)) == 1

            # The agent's picture goes out with sendPhoto, named as the agent.
            line = send_agent_image(client, conversation, as_agent)
            [photo] = eventually(lambda: list(api.photos))
            assert (photo["photo"], int(photo["chat_id"])) == (BLUE, 611)
            assert photo["caption"] == line["sender_name"]
            # No text message carries the image's reference.
            assert not any(PREFIX in text for text in api.texts(611))


def test_wechat_images_both_ways(empty_redis_url, database_url) -> None:
    with wechat_client(
        empty_redis_url, database_url, service_hours="mon-sun 00:00-24:00", image_max_bytes=4096
    ) as (client, sender, _, api):
        as_agent = online_agent(client, database_url)
        openid, conversation = "o-image-1", "wechat:o-image-1"
        api.media["early"] = RED
        # With the bot, an image is not taken: the user is told it is for a human chat.
        assert post(client, sender, sender.media(openid, "image", "early")) == texts.NOT_WITH_AGENT

        with client.websocket_connect("/console/ws", headers=SAME_ORIGIN | as_agent):
            post(client, sender, sender.event(openid, "CLICK", "HANDOFF"))  # the menu
            eventually(
                lambda: any(
                    m["role"] == "agent" for m in transcript(client, conversation, as_agent)
                )
            )

            # The user's image, fetched by its MediaId, reaches the agent; no answer is owed.
            api.media["photo"] = RED
            assert post(client, sender, sender.media(openid, "image", "photo")) == "success"
            [ref] = eventually(lambda: user_images(client, conversation, as_agent))
            shown = client.get(f"/console/api/images/{ref[len(PREFIX) :]}", headers=as_agent)
            assert shown.content == RED

            # Too large, not an image, or gone at WeChat: the user is told, the agent gets none.
            api.media["huge"] = RED + b"\x00" * 5000
            huge = post(client, sender, sender.media(openid, "image", "huge"))
            assert huge == texts.TOO_LARGE.format(mb=f"{4096 / 1048576:g}")
            api.media["fake"] = b"%PDF-1.7 not a picture"
            assert post(client, sender, sender.media(openid, "image", "fake")) == texts.NOT_AN_IMAGE
            assert post(client, sender, sender.media(openid, "image", "gone")) == texts.UNAVAILABLE
            assert len(user_images(client, conversation, as_agent)) == 1

            # The agent's image: uploaded as temporary media, sent as an image message.
            send_agent_image(client, conversation, as_agent)
            assert eventually(lambda: api.images(openid)) == [BLUE]
            assert not any(PREFIX in text for text in api.texts(openid))
