"""Hot questions ranked by what users really ask, counted in Redis.

Each answered entry adds one to a sorted set per China-local day; a category lists its entries
by the sum of the last seven days (ZUNION), ties in curated order. Day buckets expire on their
own, so the ranking forgets old peaks without a cleanup job, and every action-server instance
shares the same counts.

Counting must never cost the user their answer: when Redis is unreachable the ask is not
counted and menus fall back to the curated order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError

from actions.faq.knowledge import Entry

log = logging.getLogger(__name__)

WINDOW_DAYS = 7
KEY_PREFIX = "swa:faq:asks:"
# A bucket must outlive the window it is summed in; one spare day covers clock skew.
BUCKET_TTL_SECONDS = (WINDOW_DAYS + 1) * 24 * 3600


def bucket(day: date) -> str:
    return f"{KEY_PREFIX}{day:%Y%m%d}"


class HotQuestions:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def record(self, entry_id: str, day: date) -> None:
        key = bucket(day)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zincrby(key, 1, entry_id)
                pipe.expire(key, BUCKET_TTL_SECONDS)
                await pipe.execute()
        except (RedisError, OSError) as error:
            log.warning("faq ask not counted: %s", error)

    async def asks(self, day: date) -> dict[str, float]:
        """Asks per entry in the window ending on `day` (inclusive)."""
        keys = [bucket(day - timedelta(days=back)) for back in range(WINDOW_DAYS)]
        try:
            scored = await self._redis.zunion(keys, withscores=True)
        except (RedisError, OSError) as error:
            log.warning("hot questions unavailable, using curated order: %s", error)
            return {}
        return {_text(member): float(score) for member, score in scored}

    async def rank(self, entries: Sequence[Entry], day: date) -> list[Entry]:
        """`entries` (in curated order) sorted by asks in the window, most asked first."""
        counts = await self.asks(day)
        order = {entry.id: index for index, entry in enumerate(entries)}
        return sorted(entries, key=lambda e: (-counts.get(e.id, 0.0), order[e.id]))


def _text(member: bytes | str) -> str:
    return member.decode() if isinstance(member, bytes) else member
