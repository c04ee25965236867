"""Buttons as inline keyboards: callback_data carries the payload, or a short id for it.

Telegram limits callback_data to 64 bytes; a payload with entities (``/query_records{...}``)
is often longer. Such a payload is kept in Redis under a short random id
(``swa:telegram:button:<id>``, 30 days) and the button carries ``#<id>``; a press on a button
whose id has expired is answered with a notice instead of guessing. Bot payloads start with
``/``, so ``#`` never collides with one.
"""

from __future__ import annotations

import secrets

from redis.asyncio import Redis
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from kernel.messages import Button

MAX_CALLBACK_BYTES = 64
SHORT_PREFIX = "#"
KEY_PREFIX = "swa:telegram:button:"
TTL_S = 30 * 24 * 3600


class CallbackData:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def keyboard(self, buttons: list[Button]) -> InlineKeyboardMarkup:
        """One button per row: titles are whole questions, read best full width on a phone."""
        rows = [
            [InlineKeyboardButton(button.title, callback_data=await self.encode(button.payload))]
            for button in buttons
        ]
        return InlineKeyboardMarkup(rows)

    async def encode(self, payload: str) -> str:
        if len(payload.encode()) <= MAX_CALLBACK_BYTES and not payload.startswith(SHORT_PREFIX):
            return payload
        short = secrets.token_urlsafe(9)
        await self._redis.set(KEY_PREFIX + short, payload, ex=TTL_S)
        return SHORT_PREFIX + short

    async def decode(self, data: str) -> str | None:
        """The payload a pressed button stands for; None when its short id has expired."""
        if not data.startswith(SHORT_PREFIX):
            return data
        return await self._redis.get(KEY_PREFIX + data[len(SHORT_PREFIX) :])


def title_of(markup: InlineKeyboardMarkup | None, data: str) -> str | None:
    """The title of the pressed button, read from the message it was on (for the transcript)."""
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if button.callback_data == data:
                return button.text
    return None
