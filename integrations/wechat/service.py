"""The channel's parts, built once per service process from the settings."""

from __future__ import annotations

import httpx
from redis.asyncio import Redis

from integrations import media
from integrations.relay import HandoffRelay
from integrations.wechat.api import WeChatApi
from integrations.wechat.channel import CHANNEL, REPLY_DEADLINE_S, Turns
from integrations.wechat.crypto import SafeMode
from integrations.wechat.nonces import Nonces
from integrations.wechat.options import Options
from integrations.wechat.outbox import Outbox
from integrations.wechat.render import render
from integrations.wechat.token import AccessTokens
from kernel.conversation_ids import address_of
from kernel.messages import StoredMessage
from queue_service.port import ChannelPort
from queue_service.settings import Settings

# Agent lines arriving within a second go out as one message, to spare the quota of five.
RELAY_COALESCE_S = 1.0


class WeChatChannel:
    name = CHANNEL

    def __init__(
        self,
        settings: Settings,
        redis: Redis,
        port: ChannelPort,
        reply_deadline_s: float = REPLY_DEADLINE_S,
    ) -> None:
        self.token = settings.wechat_token.get_secret_value()
        key = settings.wechat_encoding_aes_key.get_secret_value()
        previous = settings.wechat_previous_encoding_aes_key.get_secret_value()
        self.safe = SafeMode(self.token, settings.wechat_appid, key, previous) if key else None
        self.nonces = Nonces(redis)
        self._port = port
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
        self._options = Options(redis)
        self.relay = HandoffRelay(
            CHANNEL, settings, redis, port, self.deliver, coalesce_s=RELAY_COALESCE_S
        )
        self.turns = Turns(
            redis,
            port,
            self.api,
            self.outbox,
            settings.max_message_chars,
            reply_deadline_s,
            after_turn=self.relay.after_turn,
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, redis: Redis, port: ChannelPort
    ) -> WeChatChannel | None:
        """None when no token is configured: the channel is off."""
        if not settings.wechat_token.get_secret_value():
            return None
        return cls(settings, redis, port, settings.wechat_reply_deadline_s)

    def start(self) -> None:
        self.relay.start()

    async def deliver(self, conversation_id: str, lines: list[StoredMessage]) -> bool:
        """Lines outside a turn (an agent's, a queue update, a ticket's answer): one text, its
        buttons numbered, and each image the service keeps as an image message, by the outbox;
        False when something waits there for the user's next message."""
        openid = address_of(conversation_id)
        rendered = render(lines)
        await self._options.remember(conversation_id, rendered.buttons)
        sent = await self.outbox.send(openid, rendered.text) if rendered.text else True
        for line in lines:
            image = await media.image_of(self._port, line)
            if image is not None:
                sent = await self.outbox.send_image(openid, image) and sent
        return sent

    async def aclose(self) -> None:
        await self.turns.drain()
        await self.relay.stop()
        await self.http.aclose()
