"""The hub's lines as Telegram messages: one message per line, buttons as its inline keyboard.

Plain text (no parse mode), so nothing a bot answer or an agent types needs escaping. What a
line shows is as on WeChat (integrations/render.py); texts longer than Telegram's 4096
characters are cut with a note rather than refused by the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.render import cut, shown
from integrations.telegram.texts import BUTTONS_ONLY
from kernel.messages import Button, OutboundMessage

MAX_CHARS = 4096


@dataclass(frozen=True)
class Outgoing:
    text: str
    buttons: list[Button]


def render(lines: list[OutboundMessage]) -> list[Outgoing]:
    outgoing = []
    for line in lines:
        parts = shown(line)
        if not parts and not line.buttons:
            continue  # a custom payload only: nothing a Telegram user could see
        text = cut("\n".join(parts) or BUTTONS_ONLY, MAX_CHARS)
        outgoing.append(Outgoing(text, list(line.buttons)))
    return outgoing
