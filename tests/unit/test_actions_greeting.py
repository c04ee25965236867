"""Unit tests for action_greet: salutation per time of day and the buttons.

Run from the project root in the action-server venv (Python 3.11, rasa-sdk):
    python -m pytest tests/unit/test_actions_greeting.py
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import knowledge
from actions.greeting import CHINA_TZ, ActionGreet, time_of_day_greeting


def _tracker() -> Tracker:
    return Tracker(
        sender_id="webchat:test-user",
        slots={},
        latest_message={"text": "你好", "intent": {"name": "greet", "confidence": 1.0}},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def _run_at(moment: datetime) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionGreet(clock=lambda: moment).run(dispatcher, _tracker(), {}))
    assert events == []
    return dispatcher.messages


def _china(hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, 10, hour, minute, tzinfo=CHINA_TZ)


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [
        (5, 0, "早上好"),
        (8, 30, "早上好"),
        (10, 59, "早上好"),
        (11, 0, "中午好"),
        (12, 59, "中午好"),
        (13, 0, "下午好"),
        (17, 59, "下午好"),
        (18, 0, "晚上好"),
        (23, 30, "晚上好"),
        (0, 0, "晚上好"),
        (4, 59, "晚上好"),
    ],
)
def test_greeting_depends_on_china_time_of_day(hour: int, minute: int, expected: str) -> None:
    messages = _run_at(_china(hour, minute))

    assert len(messages) == 1
    text = messages[0]["text"]
    assert text.startswith(f"{expected}！")
    assert "您好" in text
    assert "我是单一窗口智能客服" in text


def test_utc_clock_is_converted_to_china_time() -> None:
    # 01:30 UTC is 09:30 in Shanghai: a morning greeting, not an evening one.
    utc_moment = datetime(2025, 3, 10, 1, 30, tzinfo=UTC)

    assert time_of_day_greeting(utc_moment) == "早上好"
    assert _run_at(utc_moment)[0]["text"].startswith("早上好")


def test_naive_clock_is_taken_as_china_time() -> None:
    assert time_of_day_greeting(datetime(2025, 3, 10, 14, 0)) == "下午好"


def test_buttons_offer_the_categories_of_hot_questions() -> None:
    buttons = _run_at(_china(9))[0]["buttons"]

    kb = knowledge.default()
    assert [b["title"] for b in buttons] == [c.title for c in kb.categories]
    assert {"title": "登录与卡介质", "payload": '/faq_menu{"faq_category":"login"}'} in buttons
    for button in buttons:
        # Telegram limits callback_data to 64 bytes.
        assert len(button["payload"].encode("utf-8")) <= 64


def test_default_clock_is_aware_and_in_china() -> None:
    from actions.greeting import china_now

    now = china_now()
    assert now.utcoffset() == timedelta(hours=8)


def test_action_name_matches_domain() -> None:
    assert ActionGreet().name() == "action_greet"
