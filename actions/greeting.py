"""Time-of-day greeting with the most asked questions as buttons.

A plain ``utter_greet`` response cannot know the local time, and users on the
portal are in China whatever the server's timezone is, so the greeting is
computed here in Asia/Shanghai time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

Clock = Callable[[], datetime]


def _china_timezone() -> tzinfo:
    """Prefer the IANA zone, but slim images may ship without tzdata.

    China has not used daylight saving time since 1991, so a fixed UTC+8 offset
    gives the same wall-clock time when the zone database is missing.
    """
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Shanghai")
    except Exception:  # ZoneInfoNotFoundError, or no zoneinfo module at all
        return timezone(timedelta(hours=8), "Asia/Shanghai")


CHINA_TZ: tzinfo = _china_timezone()

# Payload == title on purpose: a click is sent back as ordinary user text and
# goes through NLU like a typed question, so every channel can render it (and
# Telegram's 64-byte callback_data limit is respected: 12 CJK chars = 36 bytes).
POPULAR_QUESTIONS: list[str] = [
    "卡介质初始密码是多少",
    "卡介质被锁了怎么办",
    "单一窗口有哪些登录方式",
    "客服联系方式有哪些",
]


def china_now() -> datetime:
    """The default clock; tests inject a fixed one instead."""
    return datetime.now(CHINA_TZ)


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


def popular_question_buttons() -> list[dict[str, str]]:
    """Buttons whose payload is the question itself, so a click hits NLU."""
    return [{"title": question, "payload": question} for question in POPULAR_QUESTIONS]


class ActionGreet(Action):
    """Greets the user and offers the hot questions (热点问题) of the help desk.

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
            f"{salutation}！您好，我是单一窗口智能客服。\n"
            "您可以直接输入问题，或点击下面的热门问题："
        )
        dispatcher.utter_message(text=text, buttons=popular_question_buttons())
        return []
