"""A callback WeChat retries is processed once, and the retry gets the same answer.

The first delivery claims ``swa:wechat:seen:<key>`` with SET NX (any service process may get
the retry); it then records what it answered: the passive reply's XML, or ``success`` when the
answer goes out through the customer-service API. A retry arriving while the first is still
working is answered ``success``: the first one delivers.
"""

from redis.asyncio import Redis

from integrations.wechat.signature import MAX_SKEW_S

PREFIX = "swa:wechat:seen:"
PENDING = "-"
# WeChat retries three times within ~15 s. The record outlives the nonce record (nonces.py: at
# most twice the timestamp skew), so a retry that record lets through is answered from here.
TTL_S = 2 * MAX_SKEW_S + 60


class Replays:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def claim(self, key: str) -> bool:
        """True for the first delivery of this message, False for a retry."""
        return bool(await self._redis.set(PREFIX + key, PENDING, nx=True, ex=TTL_S))

    async def answered(self, key: str, reply: str) -> None:
        await self._redis.set(PREFIX + key, reply, ex=TTL_S)

    async def answer(self, key: str) -> str | None:
        """The first delivery's passive reply (plain XML), or None (send ``success``)."""
        stored = await self._redis.get(PREFIX + key)
        return stored if stored and stored.startswith("<xml>") else None
