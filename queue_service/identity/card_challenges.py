"""One-time challenges for card logins: random, for one conversation, single use, 60 s.

At most MAX_ISSUED per conversation a minute, so that a socket cannot fill Redis with them.

Redis layout:
  swa:card:challenge:<challenge>   the conversation id it was issued to; GETDEL consumes it, so
                                   a proof can be checked once only, and it expires after 60 s
  swa:limit:card-issued:<conversation>   challenges issued in the current minute
"""

from __future__ import annotations

import secrets

from redis.asyncio import Redis

from queue_service.limits import WindowLimit

CHALLENGE_TTL_S = 60
MAX_ISSUED = 10
ISSUE_WINDOW_S = 60


class TooManyChallenges(Exception):
    """A conversation asked for more challenges than anyone logging in needs."""


def _key(challenge: str) -> str:
    return f"swa:card:challenge:{challenge}"


class CardChallenges:
    def __init__(self, redis: Redis, ttl_s: int = CHALLENGE_TTL_S) -> None:
        self._redis = redis
        self.ttl_s = ttl_s
        self._issued = WindowLimit(redis, "card-issued", MAX_ISSUED, ISSUE_WINDOW_S)

    async def issue(self, conversation_id: str) -> str:
        """A new challenge; raises TooManyChallenges past MAX_ISSUED in the window."""
        if not await self._issued.hit(conversation_id):
            raise TooManyChallenges(conversation_id)
        challenge = secrets.token_urlsafe(32)  # 43 characters, 256 random bits
        await self._redis.set(_key(challenge), conversation_id, ex=self.ttl_s)
        return challenge

    async def consume(self, challenge: str, conversation_id: str) -> bool:
        """True once, for a live challenge issued to this conversation; it is gone either way."""
        issued_to = await self._redis.getdel(_key(challenge))
        return issued_to is not None and issued_to == conversation_id
