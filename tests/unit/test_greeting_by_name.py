"""action_greet for a user the hub vouches for: by name, with their own self-service queries."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import knowledge, replies
from actions.greeting import ActionGreet
from actions.queries.render import Query, payload
from kernel.claims import Identity
from kernel.clock import CHINA_TZ
from kernel.settings import shared_settings
from kernel.signing import sign
from tests.support.identities import ACME_LEGAL_CARD, ALICE

SENDER = "webchat:greeting-test"
AFTERNOON = datetime(2026, 11, 24, 15, 10, tzinfo=CHINA_TZ)


def greet(metadata: dict[str, Any] | None, moment: datetime = AFTERNOON) -> dict[str, Any]:
    tracker = Tracker(
        sender_id=SENDER,
        slots={},
        latest_message={"text": "/greet", "intent": {"name": "greet"}, "metadata": metadata},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
    dispatcher = CollectingDispatcher()
    assert asyncio.run(ActionGreet(clock=lambda: moment).run(dispatcher, tracker, {})) == []
    [message] = dispatcher.messages
    return message


def signed(identity: Identity, secret: str = "") -> dict[str, Any]:
    return sign(identity, SENDER, secret or shared_settings().identity_secret.get_secret_value())


def categories() -> list[dict[str, str]]:
    return replies.category_buttons(knowledge.default())


def test_a_consumer_is_greeted_by_name_with_their_queries_first() -> None:
    message = greet(signed(ALICE))
    assert message["text"].startswith("王小明，下午好！我是单一窗口智能客服")
    assert "个人额度、通关记录和税单" in message["text"]
    shortcuts = [
        {"title": "我的个人额度", "payload": payload(Query.QUOTA)},
        {"title": "我的通关记录", "payload": payload(Query.CLEARANCES)},
        {"title": "我的税单", "payload": payload(Query.TAX_BILLS)},
    ]
    assert message["buttons"] == [*shortcuts, *categories()]


def test_an_enterprise_user_is_offered_the_enterprise_queries() -> None:
    message = greet(signed(ACME_LEGAL_CARD), datetime(2026, 11, 24, 9, tzinfo=CHINA_TZ))
    assert message["text"].startswith("赵建国，早上好！")
    assert ACME_LEGAL_CARD.enterprise_name in message["text"]
    titles = [b["title"] for b in message["buttons"]]
    assert titles[:4] == ["自助打印申请", "数据导出申请", "车辆备案", "提交货预约"]
    assert message["buttons"][3]["payload"] == payload(Query.APPOINTMENTS)
    assert message["buttons"][4:] == categories()
    assert "我的个人额度" not in titles
    for button in message["buttons"]:
        assert len(button["payload"].encode()) <= 64  # Telegram's callback_data


def test_anonymous_users_get_the_same_greeting_as_before() -> None:
    message = greet(None)
    assert message["text"] == (
        "下午好！您好，我是单一窗口智能客服，很高兴为您服务。\n"
        "您可以直接输入问题，或选择下面的问题类别查看热点问题："
    )
    assert message["buttons"] == categories()


def test_an_identity_that_cannot_be_trusted_is_greeted_as_anonymous() -> None:
    message = greet(signed(ALICE, secret="not-the-identity-secret-but-long-enough"))
    assert message["text"].startswith("下午好！您好，")
    assert "王小明" not in message["text"]
    assert message["buttons"] == categories()
