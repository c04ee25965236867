"""The Telegram channel against real Redis and SQL, python-telegram-bot talking to a Bot API
stand-in, and a Rasa stand-in; updates arrive as Telegram sends them (webhook posts with the
secret header, or getUpdates in polling mode)."""

import json
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from redis.asyncio import Redis

from integrations.telegram.buttons import MAX_CALLBACK_BYTES
from integrations.telegram.routes import MAX_BODY_BYTES, PATH, SECRET_HEADER
from integrations.telegram.service import TelegramChannel
from integrations.telegram.texts import EXPIRED_BUTTON, NOT_PRIVATE, UNKNOWN_COMMAND
from integrations.texts import TOO_LONG
from kernel.claims import Identity, Kind, Source
from kernel.messages import OutboundMessage, Role
from kernel.skills import Skill
from queue_service.app import create_app
from queue_service.bus import Bus
from queue_service.handoff import texts as handoff_texts
from queue_service.handoff.chats import Disposition
from queue_service.handoff.queue import AgentStatus, HandoffQueue
from queue_service.handoff.switchboard import Switchboard
from queue_service.handoff.ticket_desk import TicketDesk
from queue_service.identity.portal import PortalTokens
from queue_service.identity.service import Identities
from queue_service.images import texts as image_texts
from queue_service.settings import Settings
from queue_service.topics import user_topic
from queue_service.transcripts import TranscriptStore
from tests.support.rasa_standins import RecordingRasa, recording_rasa
from tests.support.service import part
from tests.support.telegram_standin import (
    TOKEN,
    USERNAME,
    TelegramApiStandIn,
    TelegramUser,
    telegram_api,
)

SECRET = "test-telegram-secret"
WEBHOOK_URL = "https://swa.example.cn/channels/telegram/webhook"
LONG_PAYLOAD = '/query_records{"query": "tax_bills", "period": "2026-01-01..2026-03-31", "page": 2}'
MENU = [
    {
        "text": "您好，请选择您关心的问题：",
        "buttons": [
            {"title": "登录与卡介质", "payload": '/faq_menu{"faq_category": "login"}'},
            {"title": "我的税单", "payload": LONG_PAYLOAD},
        ],
    }
]


@contextmanager
def telegram_client(
    redis_url: str, database_url: str, *, webhook: bool = True, **overrides
) -> Iterator[tuple[TestClient, RecordingRasa, TelegramApiStandIn]]:
    answers = {"/greet": MENU, "/faq_menu": MENU}
    with recording_rasa(0.0, answers) as rasa, telegram_api() as api:
        settings = Settings(
            redis_url=redis_url,
            database_url=database_url,
            rasa_url=rasa.url,
            rasa_timeout_s=5,
            telegram_token=TOKEN,
            telegram_secret=SECRET,
            telegram_webhook_url=WEBHOOK_URL if webhook else "",
            telegram_api_base=api.url,
            telegram_poll_timeout_s=1,
            **overrides,
        )
        with TestClient(create_app(settings)) as client:
            yield client, rasa, api


def deliver(client: TestClient, update: dict, secret: str = SECRET) -> int:
    response = client.post(PATH, json=update, headers={SECRET_HEADER: secret})
    return response.status_code


@pytest.fixture
def channel(empty_redis_url, database_url):
    with telegram_client(empty_redis_url, database_url) as parts:
        yield parts


def test_disabled_without_a_token(empty_redis_url, database_url) -> None:
    settings = Settings(redis_url=empty_redis_url, database_url=database_url)
    with TestClient(create_app(settings)) as client:
        assert deliver(client, TelegramUser(1).text("你好")) == 404


def test_webhook_registered_with_the_secret_and_commands_set(channel) -> None:
    _, _, api = channel
    assert api.webhook["url"] == WEBHOOK_URL
    assert api.webhook["secret_token"] == SECRET
    assert set(api.webhook["allowed_updates"]) == {"message", "callback_query"}
    assert [c["command"] for c in api.commands] == ["menu", "human", "bind", "unbind", "start"]


def test_start_shows_the_menu_and_a_long_payload_goes_by_short_id(channel) -> None:
    client, rasa, api = channel
    user = TelegramUser(501)
    assert deliver(client, user.text("/start")) == 200
    assert api.wait_for(1, user.chat_id) == ["您好，请选择您关心的问题："]
    buttons = api.last_keyboard(user.chat_id)
    assert [b["text"] for b in buttons] == ["登录与卡介质", "我的税单"]
    assert buttons[0]["callback_data"] == '/faq_menu{"faq_category": "login"}'
    assert len(LONG_PAYLOAD.encode()) > MAX_CALLBACK_BYTES
    assert buttons[1]["callback_data"].startswith("#")
    assert all(len(b["callback_data"].encode()) <= MAX_CALLBACK_BYTES for b in buttons)
    # Pressing it sends the full payload to the bot, its title to the transcript.
    press = user.press(api, "我的税单")
    assert deliver(client, press) == 200
    api.wait_for(2, user.chat_id)
    assert rasa.last()["message"] == LONG_PAYLOAD
    assert rasa.last()["sender"] == "telegram:501"
    assert api.answered[-1]["callback_query_id"] == press["callback_query"]["id"]
    history = client.portal.call(part(client, TranscriptStore).history, "telegram:501", 10)
    assert [line.text for line in history if line.role == Role.USER] == ["我的税单"]


def test_text_is_answered_in_the_chat(channel) -> None:
    client, rasa, api = channel
    user = TelegramUser(502)
    assert deliver(client, user.text("卡锁了怎么办")) == 200
    assert api.wait_for(1, user.chat_id) == ["收到：卡锁了怎么办"]
    assert rasa.last()["sender"] == "telegram:502"


def test_typed_text_follows_the_rule_of_every_channel(empty_redis_url, database_url) -> None:
    """Composed, stripped, within SWA_MAX_MESSAGE_CHARS (integrations/user_input.py): a message
    too long is answered with the web chat's own words, and never reaches the bot."""
    with telegram_client(empty_redis_url, database_url, max_message_chars=10) as parts:
        client, rasa, api = parts
        user = TelegramUser(520)
        assert deliver(client, user.text("长" * 11)) == 200
        assert api.wait_for(1, user.chat_id) == [TOO_LONG.format(max_chars=10)]
        assert rasa.received == []
        assert deliver(client, user.text(unicodedata.normalize("NFD", " Café "))) == 200
        assert api.wait_for(2, user.chat_id)[-1] == "收到：Café"


def test_wrong_secret_is_refused_and_nothing_processed(channel) -> None:
    client, rasa, api = channel
    user = TelegramUser(503)
    assert deliver(client, user.text("你好"), secret="wrong") == 403
    assert client.post(PATH, json=user.text("你好")).status_code == 403  # no header at all
    time.sleep(0.3)
    assert api.texts(user.chat_id) == [] and rasa.received == []


def test_a_retried_update_is_processed_once(channel) -> None:
    client, rasa, api = channel
    update = TelegramUser(504).text("报关单怎么打印")
    assert deliver(client, update) == 200
    assert deliver(client, update) == 200  # Telegram retries: still a 200, not a second turn
    api.wait_for(1, 504)
    time.sleep(0.3)
    assert api.texts(504) == ["收到：报关单怎么打印"]
    assert [r["message"] for r in rasa.received] == ["报关单怎么打印"]


def test_malformed_and_oversized_updates_are_refused(channel) -> None:
    client, rasa, _ = channel
    headers = {SECRET_HEADER: SECRET}
    assert client.post(PATH, content=b"{not json", headers=headers).status_code == 400
    assert client.post(PATH, json=["a list"], headers=headers).status_code == 400
    assert client.post(PATH, json={"message": {}}, headers=headers).status_code == 400
    big = json.dumps({"update_id": 1, "pad": "x" * MAX_BODY_BYTES})
    assert client.post(PATH, content=big, headers=headers).status_code == 413
    assert rasa.received == []


def test_photos_commands_and_groups_get_a_polite_answer_without_the_bot(channel) -> None:
    client, rasa, api = channel
    user = TelegramUser(505)
    assert deliver(client, user.photo()) == 200
    assert api.wait_for(1, 505) == [image_texts.NOT_WITH_AGENT]  # images are for a human chat
    assert deliver(client, user.text("/faq{\"faq_entry\": \"x\"}")) == 200
    assert api.wait_for(2, 505)[-1] == UNKNOWN_COMMAND
    group = user.text("大家好")
    group["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "报关群"}
    assert deliver(client, group) == 200
    assert api.wait_for(1, -100123) == [NOT_PRIVATE]
    assert rasa.received == []


def test_an_expired_short_id_is_told_not_guessed(channel) -> None:
    client, rasa, api = channel
    user = TelegramUser(506)
    deliver(client, user.text("/start"))
    api.wait_for(1, 506)
    press = user.press(api, "我的税单")
    client.portal.call(part(client, Redis).flushdb)
    assert deliver(client, press) == 200
    deadline = time.monotonic() + 5
    while not api.answered and time.monotonic() < deadline:
        time.sleep(0.02)
    assert api.answered[-1]["text"] == EXPIRED_BUTTON
    assert [r["message"] for r in rasa.received] == ["/greet"]


def test_menu_and_human_commands_send_their_payloads(empty_redis_url, database_url) -> None:
    with telegram_client(
        empty_redis_url, database_url, service_hours="mon-sun 00:00-24:00"
    ) as (client, rasa, api):
        user = TelegramUser(507)
        deliver(client, user.text("/menu"))
        api.wait_for(1, 507)
        assert rasa.last()["message"] == "/faq_menu"
        queue = part(client, HandoffQueue)
        client.portal.call(queue.register_agent, "wang", [Skill.OTHER], 3)
        client.portal.call(queue.touch_presence, "wang", 60)
        client.portal.call(queue.set_status, "wang", AgentStatus.ONLINE)
        deliver(client, user.text("/human"))
        texts = api.wait_for(3, 507)
        assert rasa.last()["message"] == "/handoff"
        # Connected at once (a free agent), then the greeting comes through the relay.
        assert texts[1].startswith("正在为您接通其他人工客服")
        assert texts[2].startswith("wang：您好")


def test_bind_code_by_deep_link(empty_redis_url, database_url) -> None:
    with telegram_client(empty_redis_url, database_url) as (client, _, api):
        identities = part(client, Identities)
        identity = Identity(
            subject="person-demo-1", kind=Kind.PERSON, name="王小明", source=Source.PORTAL
        )
        code = client.portal.call(identities.codes.issue, identity)
        user = TelegramUser(508)
        deliver(client, user.text(f"/start {code}"))
        [answer] = api.wait_for(1, 508)
        assert "王小明" in answer
        verified = client.portal.call(identities.store.current, "telegram:508")
        assert verified is not None and verified.identity.subject == "person-demo-1"
        history = client.portal.call(part(client, TranscriptStore).history, "telegram:508", 5)
        assert code not in " ".join(line.text or "" for line in history)


def test_agent_lines_and_typing_reach_a_queued_user(empty_redis_url, database_url) -> None:
    with telegram_client(
        empty_redis_url,
        database_url,
        service_hours="mon-sun 00:00-24:00",
        manual_skills="other",  # nobody assigns the user: they stay queued
    ) as (client, _, api):
        queue = part(client, HandoffQueue)
        client.portal.call(queue.register_agent, "wang", [Skill.OTHER], 3)
        client.portal.call(queue.touch_presence, "wang", 60)
        client.portal.call(queue.set_status, "wang", AgentStatus.ONLINE)
        user = TelegramUser(509)
        deliver(client, user.text("/human"))
        assert "前面还有 0 位" in api.wait_for(1, 509)[0]
        line = OutboundMessage(
            role=Role.AGENT, text="您好，我是客服小王。", agent="wang", sender_name="客服小王"
        )
        client.portal.call(part(client, Switchboard).to_user, "telegram:509", [line])
        # Written to the transcript: delivered even if the listener subscribed after it.
        assert api.wait_for(2, 509)[-1] == "客服小王：您好，我是客服小王。"
        # What switchboard.typing publishes while the agent types.
        typing = {"type": "typing", "on": True}
        client.portal.call(part(client, Bus).publish, user_topic("telegram:509"), typing)
        deadline = time.monotonic() + 5
        while not api.actions and time.monotonic() < deadline:
            time.sleep(0.02)
        assert {"chat_id": "509", "action": "typing"}.items() <= api.actions[-1].items()


def test_retry_after_is_waited_for_and_the_message_still_sent(channel) -> None:
    client, _, api = channel
    api.retry_after_next = [1]
    started = time.monotonic()
    deliver(client, TelegramUser(510).text("税单"))
    assert api.wait_for(1, 510) == ["收到：税单"]
    assert api.sent[-1]["at"] - started >= 1.0
    assert api.calls.count("sendMessage") == 2


def test_polling_mode_answers_updates_from_get_updates(empty_redis_url, database_url) -> None:
    with telegram_client(empty_redis_url, database_url, webhook=False) as (client, _, api):
        assert "deleteWebhook" in api.calls
        user = TelegramUser(511)
        api.push(user.text("海关电话多少"))
        assert api.wait_for(1, 511) == ["收到：海关电话多少"]
        # The webhook route does not exist in polling mode.
        assert deliver(client, user.text("你好")) == 404


def test_a_dead_listener_is_taken_over_and_nothing_said_meanwhile_is_lost(
    empty_redis_url, database_url
) -> None:
    with telegram_client(
        empty_redis_url,
        database_url,
        service_hours="mon-sun 00:00-24:00",
        manual_skills="other",
        relay_sweep_s=0.2,
    ) as (client, _, api):
        queue = part(client, HandoffQueue)
        client.portal.call(queue.register_agent, "wang", [Skill.OTHER], 3)
        client.portal.call(queue.touch_presence, "wang", 60)
        client.portal.call(queue.set_status, "wang", AgentStatus.ONLINE)
        redis = part(client, Redis)
        # Another process won the lease for this user and then died: its lease runs out by
        # itself, and it had recorded the turn's answer as the last line sent.
        lease = "swa:telegram:relay:telegram:512"
        client.portal.call(lambda: redis.set(lease, "a-dead-process", ex=3))
        deliver(client, TelegramUser(512).text("/human"))
        api.wait_for(1, 512)
        history = client.portal.call(part(client, TranscriptStore).history, "telegram:512", 1)
        client.portal.call(redis.set, "swa:telegram:relay:sent:telegram:512", history[-1].id)
        assert "telegram:512" not in part(client, TelegramChannel).relay._relays  # not ours
        line = OutboundMessage(
            role=Role.AGENT, text="让您久等了。", agent="wang", sender_name="客服小王"
        )
        client.portal.call(part(client, Switchboard).to_user, "telegram:512", [line])
        # Said while nobody listened; delivered once the lease expired and the sweep took over.
        assert api.wait_for(2, 512)[-1] == "客服小王：让您久等了。"
        time.sleep(0.5)
        assert len(api.texts(512)) == 2


def test_bind_codes_come_with_the_deep_link(channel) -> None:
    client, _, api = channel
    settings = Settings()
    tokens = PortalTokens(settings.portal_jwt_secret.get_secret_value(), settings.portal_issuer)
    identity = Identity(
        kind=Kind.PERSON, subject="person-demo-2", name="李小红", source=Source.PORTAL
    )
    issued = client.post(
        "/portal/api/bind-codes", headers={"Authorization": f"Bearer {tokens.mint(identity, 600)}"}
    ).json()
    assert issued["telegram_link"] == f"https://t.me/{USERNAME}?start={issued['code']}"
    # The link's /start parameter binds, as the deep link opens the chat with it.
    deliver(client, TelegramUser(513).text(f"/start {issued['code']}"))
    assert "李小红" in api.wait_for(1, 513)[0]


def test_a_ticket_is_answered_in_the_users_telegram_chat(channel) -> None:
    """An agent's answer and the ticket's closing reach a Telegram user who is not in any turn
    (queue_service/handoff/delivery.py: the channel's sender, not only the bus)."""
    client, _, api = channel
    user = TelegramUser(601)
    assert deliver(client, user.text("你好")) == 200
    api.wait_for(1, user.chat_id)
    desk = part(client, TicketDesk)
    ticket = client.portal.call(
        desk.leave, "telegram:601", Skill.OTHER, "怎么改密码", "13812345678"
    )
    answer = "请在登录页点击忘记密码。"
    _, _, sent = client.portal.call(desk.reply, ticket.id, "li", "客服小李", answer)
    assert sent is True
    reply = handoff_texts.TICKET_REPLY_TEXT.format(id=ticket.id, text=answer)
    assert api.wait_for(2, user.chat_id)[-1] == f"客服小李：{reply}"  # as every agent line
    client.portal.call(desk.close, ticket.id, "li", "已回复")
    closed = handoff_texts.TICKET_CLOSED_TEXT.format(id=ticket.id)
    assert api.wait_for(3, user.chat_id)[-1] == closed


def test_a_ticket_answered_just_after_a_chat_is_sent_once(empty_redis_url, database_url) -> None:
    """The relay that followed the user through their chat listens a few seconds more; the
    ticket's answer, sent by the channel itself then, is not sent by the relay as well."""
    with telegram_client(empty_redis_url, database_url, service_hours="mon-sun 00:00-24:00") as (
        client,
        _,
        api,
    ):
        desk = part(client, TicketDesk)
        ticket = client.portal.call(
            desk.leave, "telegram:515", Skill.OTHER, "怎么改密码", "13812345678"
        )
        queue = part(client, HandoffQueue)
        client.portal.call(queue.register_agent, "wang", [Skill.OTHER], 3)
        client.portal.call(queue.touch_presence, "wang", 60)
        client.portal.call(queue.set_status, "wang", AgentStatus.ONLINE)
        deliver(client, TelegramUser(515).text("/human"))
        assert api.wait_for(2, 515)[-1].startswith("wang：您好")  # by the relay
        switchboard = part(client, Switchboard)
        client.portal.call(switchboard.close, "wang", "telegram:515", Disposition.RESOLVED)
        assert handoff_texts.RATE_TEXT in api.wait_for(3, 515)[-1]  # the relay still listens
        _, _, sent = client.portal.call(desk.reply, ticket.id, "li", "客服小李", "请点击忘记密码。")
        assert sent is True
        reply = handoff_texts.TICKET_REPLY_TEXT.format(id=ticket.id, text="请点击忘记密码。")
        assert api.wait_for(4, 515)[-1] == f"客服小李：{reply}"
        time.sleep(2)  # a second copy would have come by now
        assert api.texts(515).count(f"客服小李：{reply}") == 1
