"""Telegram's flood limits for everything the bot sends: per chat and for the whole bot.

python-telegram-bot's AIORateLimiter (aiolimiter's leaky buckets) enforces the global limit
(30 messages a second) and the per-group one, and retries a request that Telegram answers with
RetryAfter after the time it names. It leaves private chats unlimited, yet Telegram asks for
about one message a second in a chat: this limiter adds that bucket per private chat (a burst of
a few, as a bot answer with a menu is, then one a second) in front of it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter, BaseRateLimiter

# Telegram: "avoid sending more than one message per second" in a single chat; bursts pass.
CHAT_BURST = 3
CHAT_PERIOD_S = 3.0
# Retries of a request answered with RetryAfter before it fails.
MAX_RETRIES = 3
# Idle chats' buckets are dropped beyond this many, as AIORateLimiter does for groups.
MAX_CHAT_BUCKETS = 1024


class ChatRateLimiter(BaseRateLimiter[int]):
    def __init__(
        self,
        chat_burst: int = CHAT_BURST,
        chat_period_s: float = CHAT_PERIOD_S,
        max_retries: int = MAX_RETRIES,
        **global_limits: Any,
    ) -> None:
        self._inner = AIORateLimiter(max_retries=max_retries, **global_limits)
        self._chat_burst = chat_burst
        self._chat_period_s = chat_period_s
        self._chats: dict[int, AsyncLimiter] = {}

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    def _bucket(self, chat_id: int) -> AsyncLimiter:
        if len(self._chats) > MAX_CHAT_BUCKETS:
            for key, limiter in list(self._chats.items()):
                if key != chat_id and limiter.has_capacity(limiter.max_rate):
                    del self._chats[key]
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._chats[chat_id] = AsyncLimiter(self._chat_burst, self._chat_period_s)
        return bucket

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        if isinstance(chat_id, int) and chat_id > 0 and endpoint != "sendChatAction":
            async with self._bucket(chat_id):
                return await self._inner.process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
        return await self._inner.process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
