"""An answer as each channel would show it, before it is saved.

The bot's message comes from the action server's own composer (actions/faq/replies.answer: the
title in 【】, the answer, the related questions and 转人工 as buttons) and goes through the
hub's conversion and each channel's renderer, the code that shows it to users: WeChat's one text
with numbered options, Telegram's message with its keyboard, the web chat's bubble and buttons.
"""

from __future__ import annotations

from typing import Any

from actions.faq import replies
from actions.faq.knowledge import Entry
from integrations.telegram.render import render as telegram_render
from integrations.wechat.render import render as wechat_render
from queue_service.rasa_client import to_outbound


class _Related:
    """What replies.answer asks of the knowledge base: the related entries by id."""

    def __init__(self, entries: dict[str, Entry]) -> None:
        self._entries = entries

    def entry(self, entry_id: str) -> Entry | None:
        return self._entries.get(entry_id)


def _entry(entry_id: str, data: dict[str, Any]) -> Entry:
    # Not validated: a draft is previewed while it is typed, before its rules hold.
    return Entry.model_construct(
        id=entry_id,
        title=data.get("title", ""),
        answer=data.get("answer", ""),
        related=tuple(data.get("related", ())),
    )


def preview(entry_id: str, draft: dict[str, Any], titles: dict[str, str]) -> dict[str, Any]:
    """The draft's answer per channel; `titles` maps entry ids to their titles (related)."""
    entry = _entry(entry_id, draft)
    related = {r: _entry(r, {"title": titles[r]}) for r in entry.related if r in titles}
    message = to_outbound(replies.answer(entry, _Related(related)))  # type: ignore[arg-type]
    telegram = telegram_render([message])
    return {
        "webchat": {"text": message.text, "buttons": [b.title for b in message.buttons]},
        "wechat": {"text": wechat_render([message]).text},
        "telegram": [{"text": m.text, "buttons": [b.title for b in m.buttons]} for m in telegram],
    }
