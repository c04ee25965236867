"""Time-of-day greeting with the categories of hot questions as buttons.

A plain ``utter_greet`` response cannot know the local time, and users on the
portal are in China whatever the server's timezone is, so the greeting is
computed here in Asia/Shanghai time. A user the hub vouches for (a portal login,
a bound WeChat or Telegram account, a card) is greeted by name and offered their
own self-service queries first.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import replies
from actions.faq.published import default_published
from actions.queries.actions import query_buttons, verified_identity
from kernel.claims import Identity, Kind
from kernel.clock import CHINA_TZ, Clock, china_now
from kernel.signing import IdentityRejected

logger = logging.getLogger(__name__)

WELCOME = "我是单一窗口智能客服，很高兴为您服务。"
ANONYMOUS_TEXT = (
    "{salutation}！您好，" + WELCOME + "\n您可以直接输入问题，或选择下面的问题类别查看热点问题："
)
# What a verified user may look up here at once (自助查询), by kind of user.
VERIFIED_TEXT = {
    Kind.PERSON: "{name}，{salutation}！" + WELCOME + "\n"
    "您可以直接输入问题；查询您的个人额度、通关记录和税单，请点击下面的自助查询按钮；"
    "也可以选择问题类别查看热点问题：",
    Kind.ENTERPRISE: "{name}，{salutation}！" + WELCOME + "\n"
    "您可以直接输入问题；查询{enterprise}的自助打印、数据导出、车辆备案和提交货预约，"
    "请点击下面的自助查询按钮；也可以选择问题类别查看热点问题：",
}


def time_of_day_greeting(moment: datetime) -> str:
    """Map a moment to the salutation a Chinese agent would use at that hour.

    Naive datetimes are taken as already being China time; aware ones are
    converted first, so a UTC clock still yields the local salutation.
    """
    local = moment.astimezone(CHINA_TZ) if moment.tzinfo else moment
    hour = local.hour
    if 5 <= hour < 11:
        return "早上好"
    if 11 <= hour < 13:
        return "中午好"
    if 13 <= hour < 18:
        return "下午好"
    return "晚上好"


class ActionGreet(Action):
    """Greets the user and offers the categories of hot questions (热点问题) as buttons.

    The clock is injectable because the salutation depends on the hour and
    tests must not depend on when they run.
    """

    def __init__(self, clock: Clock = china_now) -> None:
        self._clock = clock

    def name(self) -> str:
        return "action_greet"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        salutation = time_of_day_greeting(self._clock())
        categories = replies.category_buttons(await default_published().current())
        identity = _identity(tracker)
        if identity is None:
            text = ANONYMOUS_TEXT.format(salutation=salutation)
            dispatcher.utter_message(text=text, buttons=categories)
            return []
        text = VERIFIED_TEXT[identity.kind].format(
            name=identity.name,
            salutation=salutation,
            enterprise=identity.enterprise_name or "贵企业",
        )
        dispatcher.utter_message(text=text, buttons=[*query_buttons(identity.kind), *categories])
        return []


def _identity(tracker: Tracker) -> Identity | None:
    """Whom to greet by name: nobody when the identity is missing or cannot be trusted (the
    queries say so when asked; a greeting only greets)."""
    try:
        return verified_identity(tracker)
    except IdentityRejected as exc:
        logger.warning("identity rejected for %s: %s", tracker.sender_id, exc)
        return None
