"""Typed equals clicked (issue 17): a button's title, typed, does what the button does.

Users type what they read: "查询2024年额度" under the quota answer is that button's title, yet
NLU took it for the how-to question. The buttons of the bot's last message are in the tracker;
a message that is one of their titles is taken as that button's payload.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rasa_sdk import Tracker

from actions.faq.knowledge import normalise

_PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$", re.S)


def _last_buttons(tracker: Tracker) -> list[dict[str, Any]]:
    for event in reversed(tracker.events or []):
        if event.get("event") == "bot":
            return list((event.get("data") or {}).get("buttons") or [])
    return []


def clicked(tracker: Tracker) -> tuple[str, dict[str, str]] | None:
    """(intent, entities) of the last message's button whose title the user typed, if any."""
    typed = normalise(str(tracker.latest_message.get("text") or ""))
    if not typed or typed.startswith("/"):
        return None
    for button in _last_buttons(tracker):
        if normalise(str(button.get("title") or "")) != typed:
            continue
        match = _PAYLOAD.match(str(button.get("payload") or ""))
        if match is None:
            return None
        try:
            found = json.loads(match.group(2) or "{}")
        except ValueError:
            return None
        if not isinstance(found, dict):
            return None
        return match.group(1), {k: v for k, v in found.items() if isinstance(v, str)}
    return None


def runs_here(given: dict[str, str]) -> bool:
    """A list or detail query; forms (dates, applications) start from the button itself."""
    return "ask" not in given and not given.get("query", "").startswith("apply")
