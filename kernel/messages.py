"""The one message model every channel translates to and from.

Channels differ in how they show buttons or images; the hub does not care. Keeping a single
model means a new channel is a translator, not a fork of the conversation logic.
"""

import json
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from kernel import payloads


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role(StrEnum):
    USER = "user"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class Button(BaseModel):
    title: str
    payload: str


# The shape of the bot's own button payloads: /intent or /intent{"entity":"value",...} with a
# few short scalar values (actions/faq/replies.py, actions/queries/render.py, the desk's buttons).
_COMMAND = re.compile(r"/([a-z][a-z0-9_]{0,63})(\{.*\})?", re.DOTALL)
_ENTITY = re.compile(r"[a-z][a-z0-9_]{0,31}")
MAX_ENTITIES = 10
MAX_ENTITY_CHARS = 64
# Rasa strips a message and reads one that starts with "/" as an intent with entities.
_LEADING_SLASHES = re.compile(r"^[\s/]+")
_NOT_WORDS = re.compile(r"[\s\W_]+")
FULLWIDTH_SLASH = "／"


def _entity_value(value: object) -> bool:
    """A short scalar: a printable string, a not too large whole number, true or false."""
    if isinstance(value, str):
        return len(value) <= MAX_ENTITY_CHARS and value.isprintable()
    return isinstance(value, int) and abs(value) < 10**9


def is_bot_payload(payload: str) -> bool:
    """Whether a payload has the shape of the bot's own buttons (anything else is text)."""
    match = _COMMAND.fullmatch(payload)
    if match is None:
        return False
    if match.group(2) is None:
        return True
    try:
        entities = json.loads(match.group(2))
    except ValueError:
        return False
    return (
        isinstance(entities, dict)
        and len(entities) <= MAX_ENTITIES
        and all(_ENTITY.fullmatch(k) and _entity_value(v) for k, v in entities.items())
    )


def as_typed(text: str) -> str:
    """Text as the bot must read it: what a person typed, never an intent ("/x{...}")."""
    if not text.strip().startswith("/"):
        return text
    # Only slashes (and spaces) typed: still a message, in a form Rasa does not unpack.
    return _LEADING_SLASHES.sub("", text) or FULLWIDTH_SLASH


class InboundMessage(BaseModel):
    """What a user sent, already unwrapped from its channel's protocol."""

    conversation_id: str
    text: str
    # A button click carries the button's payload; `text` then holds its title for the record.
    payload: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    # An image the user sent to their agent: its reference (queue_service/images/refs.py).
    image: str | None = None
    # The sender's network address where the channel knows it (web chat), for per-client caps;
    # never sent to the bot.
    client: str | None = Field(default=None, exclude=True)
    # The channel's id for this message where the client sends one (web chat): a message sent
    # again with the same id is answered once (queue_service/turn_ledger.py).
    message_id: str | None = Field(default=None, exclude=True)

    @property
    def for_bot(self) -> str:
        """What Rasa gets: a button's payload if it is shaped like the bot's own, else text.

        A menu button's title typed alone is that button (payloads.MENU: typed equals clicked).

        Typed text and any payload a client made up are text, so nobody can type or forge an
        intent with entities the actions never offered. A payload without a leading slash is a
        button that answers with text (a quick pick such as 近7天) and is sent as it is.
        """
        if self.payload is not None and is_bot_payload(self.payload):
            return self.payload
        if self.payload and not self.payload.strip().startswith("/"):
            return self.payload
        return payloads.MENU.get(_NOT_WORDS.sub("", self.text)) or as_typed(self.text)


class OutboundMessage(BaseModel):
    """What the user should see: any mix of text, buttons, an image and a custom payload."""

    role: Role = Role.BOT
    text: str | None = None
    buttons: list[Button] = Field(default_factory=list)
    image: str | None = None
    custom: dict[str, Any] | None = None
    # Lines written by or during an agent's chat: the agent's user name (for the record) and,
    # on the agent's own lines, the display name the user sees (客服小王).
    agent: str | None = None
    sender_name: str | None = None
    # On a user's line: the channel's id for the message (web chat), so a page that sends it
    # again after a reconnect can tell it is already there.
    message_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class StoredMessage(OutboundMessage):
    """A transcript line as channels replay it (history after a page reload)."""

    id: int
    conversation_id: str
