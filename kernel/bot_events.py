"""What the bot did in a reply, for the outcome statistics (queue_service/outcomes.py).

The action server marks a reply it sends with what it was: an FAQ answer (which entry), a
decline (cannot answer, out of scope), a 猜你想问 offer (which entries), a self-service query
run, the user's 有用 / 没用 on an answer (the reply to it carries the verdict). The mark rides
in the reply's custom payload under `bot_events`, a list (one reply may be both an FAQ answer
and the query it links to); the hub stores it with the line in the transcript as it stores any
custom payload. No channel shows it: the web chat, WeChat and Telegram draw text, buttons,
images and record tables only.
"""

from __future__ import annotations

from typing import Any

KEY = "bot_events"

ANSWER = "answer"  # {"kind": "answer", "entry": <FAQ entry id>}
DECLINE = "decline"  # {"kind": "decline", "reason": one of DECLINE_REASONS}
SUGGEST = "suggest"  # {"kind": "suggest", "entries": [<FAQ entry id>, ...]} (猜你想问)
QUERY = "query"  # {"kind": "query", "query": <actions.queries.render.Query value>}
# {"kind": "feedback", "entry": <FAQ entry id>, "useful": bool}: 有用 / 没用 under an answer.
FEEDBACK = "feedback"
# {"kind": "handoff"}: asked for a person; the bot asks which kind (the skill buttons) first.
HANDOFF = "handoff"

# out_of_scope: not a Single Window question; not_understood: no entry came close (gibberish
# included); gave_up: after repeated misses the bot offers a person instead of guessing again.
DECLINE_REASONS = ("out_of_scope", "not_understood", "gave_up")


def mark(message: dict[str, Any], kind: str, **details: Any) -> dict[str, Any]:
    """The reply (an action's message dict) with one more event; returns it."""
    custom = message.get("custom")
    custom = dict(custom) if isinstance(custom, dict) else {}
    custom[KEY] = [*custom.get(KEY, []), {"kind": kind, **details}]
    message["custom"] = custom
    return message


def events(custom: object) -> list[dict[str, Any]]:
    """The events of a stored line's custom payload (none for anything else)."""
    if not isinstance(custom, dict):
        return []
    found = custom.get(KEY)
    if not isinstance(found, list):
        return []
    return [e for e in found if isinstance(e, dict) and isinstance(e.get("kind"), str)]
