"""Time-of-day greeting with the categories of hot questions as buttons.

A plain ``utter_greet`` response cannot know the local time, and users on the
portal are in China whatever the server's timezone is, so the greeting is
computed here in Asia/Shanghai time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import knowledge, replies
from kernel.clock import CHINA_TZ, Clock, china_now


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
        text = (
            f"{salutation}！您好，我是单一窗口智能客服，很高兴为您服务。\n"
            "您可以直接输入问题，或选择下面的问题类别查看热点问题："
        )
        dispatcher.utter_message(text=text, buttons=replies.category_buttons(knowledge.default()))
        return []
