"""The one message model every channel translates to and from.

Channels differ in how they show buttons or images; the hub does not care. Keeping a single
model means a new channel is a translator, not a fork of the conversation logic.
"""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


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


class InboundMessage(BaseModel):
    """What a user sent, already unwrapped from its channel's protocol."""

    conversation_id: str
    text: str
    # A button click carries the button's payload; `text` then holds its title for the record.
    payload: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def for_bot(self) -> str:
        return self.payload or self.text


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
    created_at: datetime = Field(default_factory=utcnow)


class StoredMessage(OutboundMessage):
    """A transcript line as channels replay it (history after a page reload)."""

    id: int
    conversation_id: str
