"""The Telegram channel of one service process: a python-telegram-bot Application run inside it.

Webhook mode (``SWA_TELEGRAM_WEBHOOK_URL`` set): at start the webhook is registered with the
secret, and ``/channels/telegram/webhook`` feeds what Telegram pushes into the Application's
update queue. Polling mode (no public URL, e.g. a developer's machine): PTB's Updater long-polls
``getUpdates``. Either way the same handlers (``turns.py``) run the updates, at most one at a
time per chat (``ordering.py``), and everything sent goes through the flood limiter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from redis.asyncio import Redis
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from integrations.relay import HandoffRelay
from integrations.telegram.buttons import CallbackData
from integrations.telegram.limiter import ChatRateLimiter
from integrations.telegram.ordering import PerChatOrder
from integrations.telegram.turns import CHANNEL, COMMANDS, Turns, chat_of
from kernel.messages import StoredMessage
from queue_service.port import ChannelPort
from queue_service.settings import Settings

log = logging.getLogger(__name__)

# Edits of sent messages are not new questions: Telegram need not send them at all.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
# Telegram unreachable at start: the service starts anyway and tries again this often.
RETRY_START_S = 30.0


class TelegramChannel:
    name = CHANNEL

    def __init__(self, settings: Settings, redis: Redis, port: ChannelPort) -> None:
        self.secret = settings.telegram_secret.get_secret_value()
        self._webhook_url = settings.telegram_webhook_url
        self._poll_timeout_s = settings.telegram_poll_timeout_s
        builder = (
            Application.builder()
            .token(settings.telegram_token.get_secret_value())
            .base_url(f"{settings.telegram_api_base.rstrip('/')}/bot")
            .base_file_url(f"{settings.telegram_api_base.rstrip('/')}/file/bot")
            .rate_limiter(ChatRateLimiter())
            .concurrent_updates(PerChatOrder())
        )
        if self._webhook_url:
            builder = builder.updater(None)
        self.application = builder.build()
        self.relay = HandoffRelay(
            CHANNEL, settings, redis, port, self.deliver, show_typing=self._show_typing
        )
        self.turns = Turns(
            redis, port, CallbackData(redis), settings.max_message_chars, self.relay.after_turn
        )
        self.turns.install(self.application)
        self._starting: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, redis: Redis, port: ChannelPort
    ) -> TelegramChannel | None:
        """None when no token is configured: the channel is off."""
        if not settings.telegram_token.get_secret_value():
            return None
        if settings.telegram_webhook_url and not settings.telegram_secret.get_secret_value():
            raise ValueError("SWA_TELEGRAM_SECRET is required with SWA_TELEGRAM_WEBHOOK_URL")
        return cls(settings, redis, port)

    @property
    def webhook_mode(self) -> bool:
        return bool(self._webhook_url)

    async def start(self, retry_s: float = RETRY_START_S) -> None:
        """Start now if Telegram answers, else keep trying in the background: the other
        channels must not wait for (or fail with) this one."""
        self.relay.start()
        try:
            await self._start()
        except TelegramError as exc:
            log.error("telegram channel not started, retrying", extra={"error": str(exc)})
            self._starting = asyncio.create_task(self._retry_start(retry_s))

    async def _retry_start(self, retry_s: float) -> None:
        while True:
            await asyncio.sleep(retry_s)
            try:
                await self._start()
                return
            except TelegramError as exc:
                log.error("telegram channel still not started", extra={"error": str(exc)})

    async def _start(self) -> None:
        app = self.application
        await app.initialize()
        await app.bot.set_my_commands(COMMANDS)
        if self.webhook_mode:
            await app.bot.set_webhook(
                self._webhook_url, secret_token=self.secret, allowed_updates=ALLOWED_UPDATES
            )
        else:
            await app.bot.delete_webhook()
            await app.updater.start_polling(
                timeout=self._poll_timeout_s, allowed_updates=ALLOWED_UPDATES
            )
        await app.start()
        mode = "webhook" if self.webhook_mode else "polling"
        log.info("telegram channel started", extra={"mode": mode, "bot": app.bot.username})

    def deep_link(self, bind_code: str) -> str | None:
        """``t.me/<bot>?start=<code>``: opens the bot and binds in one tap (None until started)."""
        try:
            return f"https://t.me/{self.application.bot.username}?start={bind_code}"
        except RuntimeError:  # the bot has not been asked who it is yet (Telegram unreachable)
            return None

    async def feed(self, data: dict[str, Any]) -> None:
        """A webhook delivery: queued for the handlers (Telegram gets its 200 at once)."""
        update = Update.de_json(data, self.application.bot)
        await self.application.update_queue.put(update)

    async def deliver(self, conversation: str, lines: list[StoredMessage]) -> bool:
        """Lines outside a turn (an agent's, a queue update, a ticket's answer); raises what the
        Bot API raised when Telegram did not take them."""
        await self.turns.send(self.application.bot, conversation, lines)
        return True

    async def _show_typing(self, conversation: str, on: bool) -> None:
        if on:  # Telegram's notice ends by itself after 5 s or with the next message
            await self.application.bot.send_chat_action(chat_of(conversation), "typing")

    async def aclose(self) -> None:
        app = self.application
        if self._starting is not None:
            self._starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._starting
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await self.relay.stop()
        await app.shutdown()
