"""The channel's parts, built once per service process from the settings."""

from __future__ import annotations

import httpx
from redis.asyncio import Redis

from integrations.wechat.api import WeChatApi
from integrations.wechat.channel import REPLY_DEADLINE_S, Turns
from integrations.wechat.crypto import SafeMode
from integrations.wechat.outbox import Outbox
from integrations.wechat.relay import HandoffRelay
from integrations.wechat.token import AccessTokens
from queue_service.bus import Bus
from queue_service.handoff.queue import HandoffQueue
from queue_service.hub import Hub
from queue_service.settings import Settings


class WeChatChannel:
    def __init__(
        self,
        settings: Settings,
        redis: Redis,
        hub: Hub,
        bus: Bus,
        queue: HandoffQueue,
        reply_deadline_s: float = REPLY_DEADLINE_S,
    ) -> None:
        self.token = settings.wechat_token.get_secret_value()
        key = settings.wechat_encoding_aes_key.get_secret_value()
        previous = settings.wechat_previous_encoding_aes_key.get_secret_value()
        self.safe = SafeMode(self.token, settings.wechat_appid, key, previous) if key else None
        self.http = httpx.AsyncClient(timeout=10)
        tokens = AccessTokens(
            redis,
            self.http,
            settings.wechat_api_base,
            settings.wechat_appid,
            settings.wechat_appsecret.get_secret_value(),
        )
        self.api = WeChatApi(self.http, tokens, settings.wechat_api_base)
        self.outbox = Outbox(redis, self.api)
        self.relay = HandoffRelay(redis, bus, queue, hub.transcripts, self.outbox)
        self.turns = Turns(
            redis,
            hub,
            self.outbox,
            settings.max_message_chars,
            reply_deadline_s,
            after_turn=self.relay.after_turn,
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, redis: Redis, hub: Hub, bus: Bus, queue: HandoffQueue
    ) -> WeChatChannel | None:
        """None when no token is configured: the channel is off."""
        if not settings.wechat_token.get_secret_value():
            return None
        return cls(settings, redis, hub, bus, queue, settings.wechat_reply_deadline_s)

    async def aclose(self) -> None:
        await self.turns.drain()
        await self.relay.stop()
        await self.http.aclose()
