"""What a user typed, as every channel passes it on to the hub, or why it is refused.

One rule for all channels, so a message the web chat takes is taken on WeChat and Telegram too:
Unicode NFC (an input method's decomposed characters become the ones the bot and the transcript
search know), no surrounding white space, not empty, at most SWA_MAX_MESSAGE_CHARS characters.
A refusal carries what the user is told; each channel says it its own way (an error frame, a
passive reply, a message).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from integrations import texts


@dataclass(frozen=True)
class Refusal:
    code: str  # "empty" or "too_long" (the web chat's error codes)
    text: str  # what the user is told


EMPTY = Refusal("empty", texts.EMPTY)


def too_long(max_chars: int) -> Refusal:
    return Refusal("too_long", texts.TOO_LONG.format(max_chars=max_chars))


def user_text(text: str, max_chars: int, payload: str | None = None) -> str | Refusal:
    """The text for the hub, or why there is none.

    With a button's payload the text is the button's title, kept for the transcript; a button
    without one stands for itself (its payload is the text).
    """
    text = unicodedata.normalize("NFC", text).strip()
    if len(text) > max_chars or len(payload or "") > max_chars:
        return too_long(max_chars)
    if text:
        return text
    return payload or EMPTY
