"""The hub's replies as one WeChat text: lines joined, buttons numbered across the batch.

A batch of replies (the bot often answers with a text and then a menu) becomes one message, so
one passive reply or one customer-service message carries the whole answer, and the quota of
five messages is spent on turns, not on lines. What a line shows is as on Telegram
(integrations/render.py).
"""

from dataclasses import dataclass, field

from integrations.render import cut, shown
from integrations.wechat import options
from kernel.messages import Button, OutboundMessage

# WeChat limits the length of a text message; a longer answer is cut here, with a note, rather
# than refused by the API.
MAX_CHARS = 1800


@dataclass
class Rendered:
    text: str
    buttons: list[Button] = field(default_factory=list)


def render(replies: list[OutboundMessage]) -> Rendered:
    parts: list[str] = []
    buttons: list[Button] = []
    for reply in replies:
        lines = shown(reply)
        if reply.buttons:
            lines.extend(options.numbered(reply.buttons, start=len(buttons) + 1))
            buttons.extend(reply.buttons)
        if lines:
            parts.append("\n".join(lines))
    if buttons:
        parts.append(options.prompt(len(buttons)))
    return Rendered(cut("\n\n".join(parts), MAX_CHARS), buttons)
