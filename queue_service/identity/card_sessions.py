"""Which conversations each card is logged in to, so that a lock or revoke can end them at once.

A card login is held per conversation (IdentityStore) for up to four hours; nothing about the
card is looked up again on its way. The card centre locks a card reported lost or revokes a
replaced one in SQL (card_admin), and that must reach the people using it now, not in four hours.
So every card login adds its conversation to the card's set, which lives as long as the longest
of them. Members are only candidates: a conversation may have logged out or moved on to another
card since, and the card desk checks each before ending it.

Redis layout:
  swa:hub:card-sessions:<card number>   SET of conversation ids, expiring with the last session
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

# Add the conversation; keep the set until the latest session's end, never shorten it.
_ADD = """
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


def sessions_key(card_number: str) -> str:
    return f"swa:hub:card-sessions:{card_number}"


class CardSessions:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._add = redis.register_script(_ADD)

    async def add(self, card_number: str, conversation_id: str, expires_at: int) -> None:
        ttl_s = max(1, expires_at - int(time.time()))
        await self._add(keys=[sessions_key(card_number)], args=[conversation_id, ttl_s])

    async def conversations(self, card_number: str) -> set[str]:
        return set(await self._redis.smembers(sessions_key(card_number)))

    async def forget(self, card_number: str) -> None:
        await self._redis.delete(sessions_key(card_number))
