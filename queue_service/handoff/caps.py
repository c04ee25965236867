"""How many handoffs and tickets (留言) one conversation and one client address may ask for.

Each handoff puts a user in front of the agents, and each ticket in an agent's callback list:
a script that asks again and again fills both. The counts are Redis windows shared by every
service instance (queue_service/limits.py). Web chat messages carry the client's address; WeChat
and Telegram messages have none and are counted per conversation only. A person never comes
near these numbers: ten handoffs in an hour, five tickets in a day (the settings' defaults).
"""

from __future__ import annotations

from redis.asyncio import Redis

from queue_service.limits import WindowLimit
from queue_service.settings import Settings

HOUR_S = 3600
DAY_S = 24 * HOUR_S


class _PerConversationAndClient:
    def __init__(
        self, redis: Redis, name: str, per_conversation: int, per_client: int, window_s: int
    ) -> None:
        self._conversation = WindowLimit(redis, f"{name}-conversation", per_conversation, window_s)
        self._client = WindowLimit(redis, f"{name}-ip", per_client, window_s)

    async def hit(self, conversation_id: str, client: str | None) -> bool:
        """Count one; False when the conversation or the client is over its cap."""
        allowed = await self._conversation.hit(conversation_id)
        if client is not None:
            allowed = await self._client.hit(client) and allowed
        return allowed

    async def exceeded(self, conversation_id: str, client: str | None) -> bool:
        """Whether the next one would be refused, without counting anything."""
        if await self._conversation.exceeded(conversation_id):
            return True
        return client is not None and await self._client.exceeded(client)


class HandoffCaps:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.handoffs = _PerConversationAndClient(
            redis,
            "handoffs",
            settings.handoffs_per_conversation,
            settings.handoffs_per_ip,
            HOUR_S,
        )
        self.tickets = _PerConversationAndClient(
            redis, "tickets", settings.tickets_per_conversation, settings.tickets_per_ip, DAY_S
        )
