"""The WeChat Official Account callback against real Redis and SQL, a Rasa stand-in and a WeChat
API stand-in; callbacks are signed (and in safe mode encrypted) as WeChat's servers do it."""

import base64
import os
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from xml.etree import ElementTree

import pytest
import redis
from fastapi.testclient import TestClient
from redis.asyncio import Redis
from wechatpy.crypto import PrpCrypto

from integrations.texts import EMPTY, TOO_LONG, UNSUPPORTED
from integrations.wechat import menu
from integrations.wechat.nonces import PREFIX as NONCE_PREFIX
from integrations.wechat.service import WeChatChannel
from integrations.wechat.signature import MAX_SKEW_S, sign
from integrations.wechat.texts import CONTINUE
from kernel.messages import OutboundMessage, Role
from kernel.skills import Skill
from queue_service.app import create_app
from queue_service.handoff import texts as handoff_texts
from queue_service.handoff.chats import Disposition
from queue_service.handoff.queue import AgentStatus, HandoffQueue
from queue_service.handoff.switchboard import Switchboard
from queue_service.handoff.ticket_desk import TicketDesk
from queue_service.secret_policy import refusal
from queue_service.settings import Settings
from stack.paths import ROOT
from tests.support.rasa_standins import RecordingRasa, recording_rasa
from tests.support.service import part
from tests.support.wechat_standins import WeChatApiStandIn, WeChatSender, message_xml, wechat_api

TOKEN = "test-wechat-token"
APPID = "wx0000000000000001"
AES_KEY = base64.b64encode(os.urandom(32)).decode().rstrip("=")
OLD_AES_KEY = base64.b64encode(os.urandom(32)).decode().rstrip("=")
CALLBACK = "/channels/wechat/callback"
MENU = [
    {
        "text": "您好，请选择您关心的问题：",
        "buttons": [
            {"title": "通关与申报", "payload": '/faq_menu{"faq_category": "declaration"}'},
            {"title": "跨境电商", "payload": '/faq_menu{"faq_category": "cross_border"}'},
        ],
    }
]


@contextmanager
def wechat_client(
    redis_url: str,
    database_url: str,
    *,
    safe: bool = False,
    rasa_delay_s: float = 0.0,
    deadline_s: float = 4.5,
    **overrides,
) -> Iterator[tuple[TestClient, WeChatSender, RecordingRasa, WeChatApiStandIn]]:
    answers = {"/greet": MENU, "菜单": MENU}
    with recording_rasa(rasa_delay_s, answers) as rasa, wechat_api() as api:
        settings = Settings(
            redis_url=redis_url,
            database_url=database_url,
            rasa_url=rasa.url,
            rasa_timeout_s=5,
            wechat_token=TOKEN,
            wechat_appid=APPID,
            wechat_appsecret="test-secret",
            wechat_encoding_aes_key=AES_KEY if safe else "",
            wechat_api_base=api.url,
            wechat_reply_deadline_s=deadline_s,
            **overrides,
        )
        sender = WeChatSender(TOKEN, APPID, AES_KEY if safe else "")
        with TestClient(create_app(settings)) as client:
            yield client, sender, rasa, api


def post(client: TestClient, sender: WeChatSender, fields) -> str:
    """The plain text content of the passive reply, or "success"."""
    query, body = sender.callback(fields)
    response = client.post(CALLBACK, params=query, content=body)
    assert response.status_code == 200, response.text
    if response.text == "success":
        return "success"
    reply = ElementTree.fromstring(sender.open_reply(query, response.text))
    assert reply.findtext("ToUserName") == fields["FromUserName"]
    assert reply.findtext("MsgType") == "text"
    return reply.findtext("Content") or ""


@pytest.fixture(params=["plain", "safe"])
def mode(request) -> str:
    return request.param


@pytest.fixture
def channel(empty_redis_url, database_url, mode):
    with wechat_client(empty_redis_url, database_url, safe=mode == "safe") as parts:
        yield parts


def test_disabled_without_a_token(empty_redis_url, database_url) -> None:
    settings = Settings(redis_url=empty_redis_url, database_url=database_url)
    with TestClient(create_app(settings)) as client:
        assert client.get(CALLBACK, params={"echostr": "x"}).status_code == 404
        assert client.post(CALLBACK, content="<xml/>").status_code == 404


def test_get_verification_plain(channel) -> None:
    client, sender, _, _ = channel
    query = sender.query(echostr="8532179645")
    assert client.get(CALLBACK, params=query).text == "8532179645"
    query["signature"] = "0" * 40
    assert client.get(CALLBACK, params=query).status_code == 403


def signed_at(query: dict[str, str], body: str, timestamp: int) -> dict[str, str]:
    """The query of a callback as if WeChat had sent it at `timestamp` (signed for it)."""
    stamp = str(timestamp)
    query = dict(query, timestamp=stamp, signature=sign(TOKEN, stamp, query["nonce"]))
    if "msg_signature" in query:  # safe mode signs the timestamp with the ciphertext too
        encrypted = ElementTree.fromstring(body).findtext("Encrypt")
        query["msg_signature"] = sign(TOKEN, stamp, query["nonce"], encrypted)
    return query


@pytest.mark.parametrize("skew_s", [-MAX_SKEW_S - 60, MAX_SKEW_S + 60], ids=["stale", "future"])
def test_get_verification_refuses_a_stale_or_future_timestamp(channel, skew_s: int) -> None:
    client, sender, _, _ = channel
    query = signed_at(sender.query(echostr="31415926"), "", int(time.time()) + skew_s)
    refused = client.get(CALLBACK, params=query)
    assert (refused.status_code, refused.text) == (403, '{"detail":"stale timestamp"}')


def test_get_verification_safe_mode_decrypts_the_echostr(
    empty_redis_url, database_url
) -> None:
    with wechat_client(empty_redis_url, database_url, safe=True) as (client, sender, _, _):
        echostr = sender.crypto._encrypt_message("echo-6174", "n1", "1700000000", PrpCrypto)
        encrypted = ElementTree.fromstring(echostr).findtext("Encrypt")
        query = sender.query(echostr=encrypted)
        query["msg_signature"] = sign(TOKEN, query["timestamp"], query["nonce"], encrypted)
        assert client.get(CALLBACK, params=query).text == "echo-6174"
        query["msg_signature"] = "f" * 40
        assert client.get(CALLBACK, params=query).status_code == 403


def test_text_answered_passively(channel) -> None:
    client, sender, rasa, _ = channel
    assert post(client, sender, sender.text("o-user-1", "报关单怎么打印")) == "收到：报关单怎么打印"
    assert rasa.last()["sender"] == "wechat:o-user-1"


def test_bad_signature_is_refused_and_nothing_processed(channel) -> None:
    client, sender, rasa, _ = channel
    fields = sender.text("o-user-2", "你好")
    query, body = sender.callback(fields)
    for name in ("signature", "msg_signature"):
        if name in query:
            forged = dict(query, **{name: "0" * 40})
            assert client.post(CALLBACK, params=forged, content=body).status_code == 403
    assert rasa.received == []
    # Nothing was recorded either: the genuine delivery is still processed.
    assert client.post(CALLBACK, params=query, content=body).status_code == 200
    assert len(rasa.received) == 1


@pytest.mark.parametrize(
    "skew_s", [-3600, -MAX_SKEW_S - 5, MAX_SKEW_S + 5], ids=["hour-old", "stale", "future"]
)
def test_a_callback_replayed_later_or_dated_ahead_is_refused(channel, skew_s: int) -> None:
    client, sender, rasa, _ = channel
    query, body = sender.callback(sender.text("o-user-2b", "你好"))
    query = signed_at(query, body, int(time.time()) + skew_s)
    assert client.post(CALLBACK, params=query, content=body).status_code == 403
    assert rasa.received == []


def test_a_captured_callback_url_cannot_carry_another_message(channel) -> None:
    """The URL signature does not cover the body: a second body on the same timestamp and nonce
    is a forgery (403), while WeChat's own retry (same URL, same body) gets the first answer."""
    client, sender, rasa, _ = channel
    query, body = sender.callback(sender.text("o-user-2c", "报关单怎么打印", msg_id=4242))
    first = client.post(CALLBACK, params=query, content=body)
    assert first.status_code == 200
    # Someone who saw the URL posts their own message, as another user, with it.
    _, forged = sender.callback(sender.text("o-victim", "绑定 12345678", msg_id=4243))
    refused = client.post(CALLBACK, params=query, content=forged)
    assert refused.status_code == 403
    assert [r["message"] for r in rasa.received] == ["报关单怎么打印"]
    # WeChat retries the first push: answered as the first time, and not processed again.
    retry = client.post(CALLBACK, params=query, content=body)
    assert retry.status_code == 200
    answer = ElementTree.fromstring(sender.open_reply(query, retry.text)).findtext("Content")
    assert answer == "收到：报关单怎么打印"
    assert len(rasa.received) == 1


def test_a_timestamp_ahead_of_our_clock_is_remembered_until_it_is_stale(channel) -> None:
    client, sender, rasa, _ = channel
    query, body = sender.callback(sender.text("o-user-2d", "你好"))
    query = signed_at(query, body, int(time.time()) + 200)
    assert client.post(CALLBACK, params=query, content=body).status_code == 200
    redis = part(client, Redis)
    [key] = client.portal.call(redis.keys, NONCE_PREFIX + "*")
    assert MAX_SKEW_S + 190 <= client.portal.call(redis.ttl, key) <= MAX_SKEW_S + 201
    assert len(rasa.received) == 1


def test_a_retried_message_is_processed_once(channel) -> None:
    client, sender, rasa, _ = channel
    fields = sender.text("o-user-3", "额度怎么查", msg_id=777)
    first = post(client, sender, fields)
    again = post(client, sender, fields)
    assert first == again == "收到：额度怎么查"
    assert len(rasa.received) == 1
    # Events have no MsgId: user and time tell a retry.
    event = sender.event("o-user-3", "CLICK", "FAQ_MENU")
    post(client, sender, event)
    post(client, sender, event)
    assert [r["message"] for r in rasa.received] == ["额度怎么查", "/faq_menu"]


XXE = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>a</ToUserName><FromUserName>o-x</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>"""

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    .replace("&lol0;", "&lol;")
    + "]><xml><ToUserName>a</ToUserName><FromUserName>o-x</FromUserName>"
    "<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>2</MsgId></xml>"
)


@pytest.mark.parametrize("document", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_dtd_and_entities_are_refused_unexpanded(
    empty_redis_url, database_url, document: str
) -> None:
    with wechat_client(empty_redis_url, database_url) as (client, sender, rasa, _):
        response = client.post(CALLBACK, params=sender.query(), content=document)
        assert response.status_code == 400
        assert rasa.received == []


def test_dtd_inside_the_encrypted_envelope_is_refused(empty_redis_url, database_url) -> None:
    with wechat_client(empty_redis_url, database_url, safe=True) as (client, sender, rasa, _):
        query = sender.query()
        encrypted = ElementTree.fromstring(
            sender.crypto.encrypt_message(XXE, query["nonce"], query["timestamp"])
        ).findtext("Encrypt")
        query["msg_signature"] = sign(TOKEN, query["timestamp"], query["nonce"], encrypted)
        body = message_xml({"ToUserName": "a", "Encrypt": encrypted})
        assert client.post(CALLBACK, params=query, content=body).status_code == 400
        assert rasa.received == []


def test_oversized_body_is_refused_before_parsing(channel) -> None:
    client, sender, rasa, _ = channel
    fields = sender.text("o-user-4", "长" * 30_000)  # 90 KB of UTF-8
    query, body = sender.callback(fields)
    assert client.post(CALLBACK, params=query, content=body).status_code == 413
    assert rasa.received == []


@pytest.mark.parametrize("kind", ["voice", "video", "location"])
def test_unknown_message_types_get_a_polite_answer(
    empty_redis_url, database_url, kind: str
) -> None:
    with wechat_client(empty_redis_url, database_url) as (client, sender, rasa, _):
        assert post(client, sender, sender.media("o-user-5", kind)) == UNSUPPORTED
        assert rasa.received == []


def test_typed_text_follows_the_rule_of_every_channel(empty_redis_url, database_url) -> None:
    """Composed, stripped, not empty, within SWA_MAX_MESSAGE_CHARS (integrations/user_input.py):
    what is refused is answered with the web chat's own words, and never reaches the bot."""
    with wechat_client(empty_redis_url, database_url, max_message_chars=10) as parts:
        client, sender, rasa, _ = parts
        assert post(client, sender, sender.text("o-user-20", " \n　")) == EMPTY
        too_long = TOO_LONG.format(max_chars=10)
        assert post(client, sender, sender.text("o-user-20", "长" * 11)) == too_long
        assert rasa.received == []
        decomposed = unicodedata.normalize("NFD", " Café ")
        assert post(client, sender, sender.text("o-user-20", decomposed)) == "收到：Café"


def test_subscribe_gets_the_welcome_menu_and_numbers_map_back(channel) -> None:
    client, sender, rasa, _ = channel
    welcome = post(client, sender, sender.event("o-user-6", "subscribe"))
    assert rasa.last()["message"] == "/greet"
    assert welcome == (
        "您好，请选择您关心的问题：\n1. 通关与申报\n2. 跨境电商\n\n请回复 1/2 选择对应选项。"
    )
    assert post(client, sender, sender.text("o-user-6", "２")) == (
        '收到：/faq_menu{"faq_category": "cross_border"}'
    )
    assert rasa.last()["message"] == '/faq_menu{"faq_category": "cross_border"}'
    # That answer had no buttons: "1" is text again.
    assert post(client, sender, sender.text("o-user-6", "1")) == "收到：1"


def test_menu_click_sends_the_menu_payload(channel) -> None:
    client, sender, rasa, _ = channel
    post(client, sender, sender.event("o-user-7", "CLICK", "QUERY_RECORDS"))
    assert rasa.last()["message"] == "/query_records"
    assert post(client, sender, sender.event("o-user-7", "unsubscribe")) == "success"


def test_cdata_end_in_an_answer_stays_text(empty_redis_url, database_url) -> None:
    with wechat_client(empty_redis_url, database_url) as (client, sender, _, _):
        assert post(client, sender, sender.text("o-user-8", "a]]><b>x</b>")) == (
            "收到：a]]><b>x</b>"
        )


def test_slow_answer_goes_by_the_customer_service_api(
    empty_redis_url, database_url, mode
) -> None:
    with wechat_client(
        empty_redis_url, database_url, safe=mode == "safe", rasa_delay_s=1.0, deadline_s=0.3
    ) as (client, sender, _, api):
        fields = sender.text("o-user-9", "税单怎么查")
        assert post(client, sender, fields) == "success"
        assert api.wait_for_sent(1) == ["收到：税单怎么查"]
        assert api.sent[0]["touser"] == "o-user-9"
        # WeChat's retry of the same message is answered "success" and not processed again.
        assert post(client, sender, fields) == "success"
    assert len(api.sent) == 1


def test_expired_token_is_refreshed_and_the_send_retried(empty_redis_url, database_url) -> None:
    with wechat_client(
        empty_redis_url, database_url, rasa_delay_s=0.6, deadline_s=0.2
    ) as (client, sender, _, api):
        post(client, sender, sender.text("o-user-10", "第一条"))
        api.wait_for_sent(1)
        api.expire_token()
        post(client, sender, sender.text("o-user-10", "第二条"))
        assert api.wait_for_sent(2) == ["收到：第一条", "收到：第二条"]
        assert api.token_fetches == 2


def test_spent_quota_asks_the_user_to_write_and_keeps_the_rest(
    empty_redis_url, database_url
) -> None:
    with wechat_client(empty_redis_url, database_url) as (client, sender, _, api):
        post(client, sender, sender.text("o-user-11", "你好"))  # opens a quota of 5
        outbox = part(client, WeChatChannel).outbox
        sent = [client.portal.call(outbox.send, "o-user-11", f"客服消息{n}") for n in range(1, 7)]
        assert sent == [True] * 5 + [False]
        texts = api.texts("o-user-11")
        assert texts[:4] == ["客服消息1", "客服消息2", "客服消息3", "客服消息4"]
        assert texts[4] == f"客服消息5\n\n{CONTINUE}"
        # The user writes again: what was kept comes first in the reply.
        assert post(client, sender, sender.text("o-user-11", "好的")) == "客服消息6\n\n收到：好的"


def test_wechat_refusing_for_quota_keeps_the_message(empty_redis_url, database_url) -> None:
    with wechat_client(empty_redis_url, database_url) as (client, sender, _, api):
        post(client, sender, sender.text("o-user-12", "你好"))
        api.fail_next = [45015]
        outbox = part(client, WeChatChannel).outbox
        assert client.portal.call(outbox.send, "o-user-12", "稍后的消息") is False
        assert client.portal.call(outbox.send, "o-user-12", "再一条") is False  # no retry now
        assert api.sent == []
        assert post(client, sender, sender.text("o-user-12", "在吗")) == (
            "稍后的消息\n\n再一条\n\n收到：在吗"
        )


def test_previous_aes_key_still_decrypts_during_rotation(empty_redis_url, database_url) -> None:
    with wechat_client(
        empty_redis_url,
        database_url,
        safe=True,
        wechat_previous_encoding_aes_key=OLD_AES_KEY,
    ) as (client, _, rasa, _):
        old_sender = WeChatSender(TOKEN, APPID, OLD_AES_KEY)
        query, body = old_sender.callback(old_sender.text("o-user-13", "旧密钥"))
        response = client.post(CALLBACK, params=query, content=body)
        assert response.status_code == 200
        assert rasa.last()["message"] == "旧密钥"
        # The reply is encrypted with the current key.
        new_sender = WeChatSender(TOKEN, APPID, AES_KEY)
        assert "收到：旧密钥" in new_sender.open_reply(query, response.text)


def test_required_safe_mode_refuses_to_start_in_plain_mode(capsys) -> None:
    plain = Settings(wechat_token=TOKEN, wechat_require_safe_mode=True)
    with pytest.raises(SystemExit) as exited:
        create_app(plain)
    assert exited.value.code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("refusing to start:")
    assert "SWA_WECHAT_ENCODING_AES_KEY" in line and "SWA_WECHAT_REQUIRE_SAFE_MODE" in line
    # With the key, or with the channel off, there is nothing to refuse.
    safe = Settings(
        wechat_token=TOKEN, wechat_encoding_aes_key=AES_KEY, wechat_require_safe_mode=True
    )
    assert refusal(safe) is None
    assert refusal(Settings(wechat_require_safe_mode=True)) is None
    assert refusal(Settings(wechat_token=TOKEN)) is None  # off by default


def test_required_safe_mode_stops_the_service_under_plain_uvicorn_in_one_line() -> None:
    env = {
        **os.environ,
        "SWA_WECHAT_TOKEN": TOKEN,
        "SWA_WECHAT_ENCODING_AES_KEY": "",
        "SWA_WECHAT_REQUIRE_SAFE_MODE": "true",
    }
    command = ["-m", "uvicorn", "queue_service.app:create_app", "--factory", "--port", "1"]
    done = subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    refusals = [line for line in done.stderr.splitlines() if line.startswith("refusing to start")]
    assert len(refusals) == 1 and "SWA_WECHAT_ENCODING_AES_KEY" in refusals[0]
    assert "Traceback" not in done.stderr


def test_a_safe_mode_service_required_to_be_safe_answers(empty_redis_url, database_url) -> None:
    with wechat_client(
        empty_redis_url, database_url, safe=True, wechat_require_safe_mode=True
    ) as (client, sender, _, _):
        assert post(client, sender, sender.text("o-user-15", "你好")) == "收到：你好"


def test_menu_cli_pushes_the_three_entries(empty_redis_url, monkeypatch) -> None:
    with wechat_api() as api:
        settings = Settings(
            redis_url=empty_redis_url,
            wechat_appid=APPID,
            wechat_appsecret="test-secret",
            wechat_api_base=api.url,
        )
        monkeypatch.setattr(menu, "get_settings", lambda: settings)
        assert menu.main([]) == 0
    assert api.menus == [
        {
            "button": [
                {"type": "click", "name": "常见问题", "key": "FAQ_MENU"},
                {"type": "click", "name": "自助查询", "key": "QUERY_RECORDS"},
                {"type": "click", "name": "转人工", "key": "HANDOFF"},
            ]
        }
    ]
    with redis.Redis.from_url(empty_redis_url) as client:
        assert client.get(f"swa:wechat:token:{APPID}") == b"token-1"


def test_agent_lines_reach_a_queued_user_through_the_api(empty_redis_url, database_url) -> None:
    with wechat_client(
        empty_redis_url,
        database_url,
        service_hours="mon-sun 00:00-24:00",
        manual_skills="other",  # nobody assigns the user: they stay queued
    ) as (client, sender, _, api):
        queue = part(client, HandoffQueue)
        client.portal.call(queue.register_agent, "wang", [Skill.OTHER], 3)
        client.portal.call(queue.touch_presence, "wang", 60)
        client.portal.call(queue.set_status, "wang", AgentStatus.ONLINE)
        queued = post(client, sender, sender.event("o-user-14", "CLICK", "HANDOFF"))
        assert "前面还有 0 位" in queued
        lines = [
            OutboundMessage(role=Role.AGENT, text=text, agent="wang", sender_name="客服小王")
            for text in ("您好，我是客服小王。", "请问有什么可以帮您？")
        ]
        switchboard = part(client, Switchboard)
        for line in lines:
            client.portal.call(switchboard.to_user, "wechat:o-user-14", [line])
        # Two lines said together arrive as one message, sparing the quota.
        assert api.wait_for_sent(1) == [
            "客服小王：您好，我是客服小王。\n\n客服小王：请问有什么可以帮您？"
        ]
        assert api.sent[0]["touser"] == "o-user-14"


def test_a_ticket_is_answered_by_customer_service_message_or_kept_for_later(
    empty_redis_url, database_url
) -> None:
    """Within WeChat's 48-hour window the answer goes at once; outside it the agent is told it
    waits, and the user's next message carries it (integrations/wechat/outbox.py)."""
    with wechat_client(empty_redis_url, database_url) as (client, sender, _, api):
        desk = part(client, TicketDesk)
        post(client, sender, sender.text("o-ticket-1", "你好"))  # opens the window
        ticket = client.portal.call(
            desk.leave, "wechat:o-ticket-1", Skill.OTHER, "怎么改密码", "13812345678"
        )
        _, _, sent = client.portal.call(desk.reply, ticket.id, "li", "客服小李", "请点击忘记密码。")
        assert sent is True
        answer = handoff_texts.TICKET_REPLY_TEXT.format(id=ticket.id, text="请点击忘记密码。")
        assert api.texts("o-ticket-1") == [f"客服小李：{answer}"]  # as every agent line

        # Someone who never wrote (or wrote too long ago) has no window.
        silent = client.portal.call(
            desk.leave, "wechat:o-ticket-2", Skill.OTHER, "税单怎么查", "13812345678"
        )
        _, _, sent = client.portal.call(desk.reply, silent.id, "li", "客服小李", "请登录后查询。")
        assert sent is False and api.texts("o-ticket-2") == []
        later = handoff_texts.TICKET_REPLY_TEXT.format(id=silent.id, text="请登录后查询。")
        next_reply = post(client, sender, sender.text("o-ticket-2", "在吗"))
        assert next_reply == f"客服小李：{later}\n\n收到：在吗"


def test_a_ticket_answered_just_after_a_chat_is_sent_once(empty_redis_url, database_url) -> None:
    """The relay that followed the user through their chat listens a few seconds more; the
    ticket's answer, sent by the outbox then, is not sent by the relay as well (nor spends a
    second message of the user's quota)."""
    with wechat_client(empty_redis_url, database_url, service_hours="mon-sun 00:00-24:00") as (
        client,
        sender,
        _,
        api,
    ):
        desk = part(client, TicketDesk)
        ticket = client.portal.call(
            desk.leave, "wechat:o-ticket-3", Skill.OTHER, "怎么改密码", "13812345678"
        )
        queue = part(client, HandoffQueue)
        client.portal.call(queue.register_agent, "wang", [Skill.OTHER], 3)
        client.portal.call(queue.touch_presence, "wang", 60)
        client.portal.call(queue.set_status, "wang", AgentStatus.ONLINE)
        handoff = sender.event("o-ticket-3", "CLICK", "HANDOFF")
        assert "正在为您接通" in post(client, sender, handoff)
        assert api.wait_for_sent(1)[-1].startswith("wang：您好")  # by the relay
        switchboard = part(client, Switchboard)
        client.portal.call(switchboard.close, "wang", "wechat:o-ticket-3", Disposition.RESOLVED)
        assert handoff_texts.RATE_TEXT in api.wait_for_sent(2)[-1]  # the relay still listens
        _, _, sent = client.portal.call(desk.reply, ticket.id, "li", "客服小李", "请点击忘记密码。")
        assert sent is True
        reply = handoff_texts.TICKET_REPLY_TEXT.format(id=ticket.id, text="请点击忘记密码。")
        assert api.wait_for_sent(3)[-1] == f"客服小李：{reply}"
        time.sleep(2.5)  # a second copy would have come by now (the relay coalesces for 1 s)
        assert api.texts("o-ticket-3").count(f"客服小李：{reply}") == 1
