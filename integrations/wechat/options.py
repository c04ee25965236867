"""Buttons as numbered options: shown as "1. 标题" lines, a reply "1" maps back to the payload.

WeChat text messages have no buttons. The options of the last message the user got are kept
per conversation (``swa:wechat:options:<conversation id>``, a day); a reply that is just one of
their numbers (full-width digits too) stands for the button. A message without buttons clears
them, so an old number never means something the user no longer sees.
"""

import json
import unicodedata

from redis.asyncio import Redis

from integrations.wechat.texts import PICK_OPTION
from kernel.messages import Button

PREFIX = "swa:wechat:options:"
TTL_S = 24 * 3600


def prompt(count: int) -> str:
    numbers = "/".join(str(n) for n in range(1, count + 1)) if count <= 5 else f"1～{count}"
    return PICK_OPTION.format(numbers=numbers)


def numbered(buttons: list[Button], start: int = 1) -> list[str]:
    return [f"{start + i}. {button.title}" for i, button in enumerate(buttons)]


class Options:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def remember(self, conversation_id: str, buttons: list[Button]) -> None:
        key = PREFIX + conversation_id
        if not buttons:
            await self._redis.delete(key)
            return
        value = json.dumps([b.model_dump() for b in buttons], ensure_ascii=False)
        await self._redis.set(key, value, ex=TTL_S)

    async def chosen(self, conversation_id: str, text: str) -> Button | None:
        """The button a reply like "2" picks, if it is one of the numbers shown."""
        number = unicodedata.normalize("NFKC", text).strip().rstrip(".")
        if not number.isdecimal() or len(number) > 3:
            return None
        stored = await self._redis.get(PREFIX + conversation_id)
        if not stored:
            return None
        buttons = [Button.model_validate(b) for b in json.loads(stored)]
        index = int(number) - 1
        return buttons[index] if 0 <= index < len(buttons) else None
