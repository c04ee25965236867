"""Staff login sessions in Redis: opaque tokens that expire after a period of inactivity.

Only a hash of the token is stored, so whoever reads Redis cannot log in with what they read.
Every use extends the session; an idle console is logged out after `ttl_s`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis

from queue_service.agents.accounts import Account, Role

PREFIX = "swa:staff-session:"


@dataclass(frozen=True)
class StaffSession:
    username: str
    display_name: str
    role: Role


def _key(token: str) -> str:
    return PREFIX + hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    def __init__(self, redis: Redis, ttl_s: int) -> None:
        self._redis = redis
        self._ttl_s = ttl_s

    async def open(self, account: Account) -> str:
        token = secrets.token_urlsafe(32)
        key = _key(token)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                key,
                mapping={
                    "username": account.username,
                    "display_name": account.display_name,
                    "role": account.role.value,
                },
            )
            pipe.expire(key, self._ttl_s)
            await pipe.execute()
        return token

    async def get(self, token: str) -> StaffSession | None:
        """The session behind a token, extended; None if unknown or expired."""
        key = _key(token)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hmget(key, "username", "display_name", "role")
            pipe.expire(key, self._ttl_s)  # a no-op on an expired key
            (username, display_name, role), _ = await pipe.execute()
        if username is None:
            return None
        return StaffSession(username, display_name or username, Role(role))

    async def close(self, token: str) -> None:
        await self._redis.delete(_key(token))
