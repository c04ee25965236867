"""Staff login sessions in Redis: opaque tokens with an idle timeout and an absolute lifetime.

Only a hash of the token is stored, so whoever reads Redis cannot log in with what they read.
Every use extends the session by `idle_s`, but never past `max_s` after the login. Each
account's sessions are listed under one key, so that the CLI can end them all (password change,
deactivation, role change) wherever they are used. A session also remembers the account as it
was at login (role, password); `StaffSession.holds_for` tells whether it still is, so a change
made while the session could not be ended (Redis unreachable from the CLI) is caught on use.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from queue_service.agents.accounts import Account, Role

PREFIX = "swa:staff-session:"
# username -> the keys of that account's sessions (some may have expired since).
INDEX_PREFIX = "swa:staff-sessions-of:"


@dataclass(frozen=True)
class StaffSession:
    username: str
    display_name: str
    role: Role
    password_stamp: str = ""
    # May use the knowledge studio (Account.maintainer at login).
    maintainer: bool = False

    def holds_for(self, account: Account | None) -> bool:
        """Whether the account (None: gone or deactivated) is still the one that logged in."""
        return (
            account is not None
            and account.role is self.role
            and account.password_stamp == self.password_stamp
            and account.maintainer == self.maintainer
        )


def _key(token: str) -> str:
    return PREFIX + hashlib.sha256(token.encode()).hexdigest()


def _index(username: str) -> str:
    return INDEX_PREFIX + username


class SessionStore:
    def __init__(
        self, redis: Redis, idle_s: int, max_s: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._redis = redis
        self._idle_s = idle_s
        self._max_s = max_s
        self._clock = clock

    @property
    def max_s(self) -> int:
        return self._max_s

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
                    "password_stamp": account.password_stamp,
                    "maintainer": "1" if account.maintainer else "",
                    "ends_at": self._clock() + self._max_s,
                },
            )
            pipe.expire(key, min(self._idle_s, self._max_s))
            pipe.sadd(_index(account.username), key)
            # The index lives as long as the newest session can.
            pipe.expire(_index(account.username), self._max_s)
            await pipe.execute()
        return token

    async def get(self, token: str, *, extend: bool = True) -> StaffSession | None:
        """The session behind a token (extended unless told not to); None if unknown or over."""
        key = _key(token)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hmget(
                key, "username", "display_name", "role", "password_stamp", "ends_at", "maintainer"
            )
            if extend:
                pipe.expire(key, self._idle_s)  # a no-op on an expired key
            (username, display_name, role, stamp, ends_at, maintainer), *_ = await pipe.execute()
        if username is None:
            return None
        if ends_at is None or float(ends_at) <= self._clock():
            await self._end(username, key)
            return None
        return StaffSession(
            username, display_name or username, Role(role), stamp or "", bool(maintainer)
        )

    async def close(self, token: str) -> None:
        key = _key(token)
        username = await self._redis.hget(key, "username")
        await self._end(username, key)

    async def end_all(self, username: str) -> int:
        """End every session of the account, on every instance; how many were open."""
        keys = list(await self._redis.smembers(_index(username)))
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in keys:
                pipe.delete(key)
            pipe.delete(_index(username))
            ended = await pipe.execute()
        return sum(ended[:-1])

    async def _end(self, username: str | None, key: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            if username is not None:
                pipe.srem(_index(username), key)
            await pipe.execute()
