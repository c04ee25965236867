"""The hub's lines as Telegram messages: one message per line, buttons as its inline keyboard.

Plain text (no parse mode), so nothing a bot answer or an agent types needs escaping; an
agent's line starts with their display name, as web chat shows it. Texts longer than
Telegram's 4096 characters are cut with a note rather than refused by the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.messages import Button, OutboundMessage

MAX_CHARS = 4096
CUT_NOTE = "……（内容较长，已截断）"
# A keyboard needs a message to sit on; a line of buttons alone gets this one.
BUTTONS_ONLY_TEXT = "请选择："


@dataclass(frozen=True)
class Outgoing:
    text: str
    buttons: list[Button]


def render(lines: list[OutboundMessage]) -> list[Outgoing]:
    outgoing = []
    for line in lines:
        parts = []
        if line.text:
            name = f"{line.sender_name}：" if line.sender_name else ""
            parts.append(name + line.text)
        if line.image:
            parts.append(line.image)
        if not parts and not line.buttons:
            continue  # a custom payload only: nothing a Telegram user could see
        text = "\n".join(parts) or BUTTONS_ONLY_TEXT
        if len(text) > MAX_CHARS:
            text = text[: MAX_CHARS - len(CUT_NOTE)] + CUT_NOTE
        outgoing.append(Outgoing(text, list(line.buttons)))
    return outgoing
