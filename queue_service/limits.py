"""Rate limits and caps shared by every entry point (logins, sockets, bind codes, handoffs).

Two kinds, because they protect different things:
- `WindowLimit` counts events in Redis over a fixed window, so every service instance shares
  one count: login failures, bind-code guesses, handoffs and tickets per client. The window
  starts at the first event and the count is one Lua script (INCR, then EXPIRE on the first),
  so parallel requests can never read the same count and all pass.
- `TokenBucket` paces one connection in memory (messages, typing and auth frames on a socket):
  a burst, then a steady rate; nothing to share, nothing to clean up when the socket closes.

Why not the `limits` package: these two shapes are all the service needs, the script is seven
lines, and it runs on the Redis connection the service already has.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from redis.asyncio import Redis
from starlette.requests import HTTPConnection

PREFIX = "swa:limit:"

# INCR with the window starting at the first increment, atomically (Redis 6.2 has no EXPIRE NX).
_COUNT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""

# One event taken back, never below zero and only while its window runs (DECR keeps the expiry;
# on a gone key it would start a count that never expires).
_FORGIVE = """
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
return 0
"""


class WindowLimit:
    """At most `limit` events per key in `window_s` seconds, counted across all instances.

    Keys: ``swa:limit:<name>:<part>:<part>...`` (a string counter that expires with its window).
    """

    def __init__(self, redis: Redis, name: str, limit: int, window_s: int) -> None:
        self._redis = redis
        self._count = redis.register_script(_COUNT)
        self._forgive = redis.register_script(_FORGIVE)
        self.name = name
        self.limit = limit
        self.window_s = window_s

    def key(self, *parts: str) -> str:
        return ":".join((PREFIX + self.name, *parts))

    async def hit(self, *parts: str) -> bool:
        """Count one event; False when it is over the limit (it is counted all the same)."""
        return int(await self._count(keys=[self.key(*parts)], args=[self.window_s])) <= self.limit

    async def exceeded(self, *parts: str) -> bool:
        """Whether the key is already at its limit, without counting anything."""
        return int(await self._redis.get(self.key(*parts)) or 0) >= self.limit

    async def retry_after(self, *parts: str) -> int:
        """Seconds until the key's window ends (0 when there is no window running)."""
        return max(0, int(await self._redis.ttl(self.key(*parts))))

    async def forgive(self, *parts: str) -> None:
        """Take back one event counted up front (atomically, before the check it guards) that
        turned out not to be what the limit is for: a login or a bind that succeeded."""
        await self._forgive(keys=[self.key(*parts)])

    async def reset(self, *parts: str) -> None:
        await self._redis.delete(self.key(*parts))


@dataclass
class TokenBucket:
    """`burst` events at once, then `rate_per_s` on average; for one connection, in memory."""

    rate_per_s: float
    burst: int
    _tokens: float = field(init=False)
    _at: float = field(init=False)

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)
        self._at = time.monotonic()

    def take(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate_per_s)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


def client_ip(connection: HTTPConnection) -> str:
    """The peer's address as the server sees it.

    Behind a proxy, uvicorn rewrites it from X-Forwarded-For only when the proxy's address is in
    its --forwarded-allow-ips (FORWARDED_ALLOW_IPS; 127.0.0.1 by default), so a client cannot
    name its own address by sending the header.
    """
    return connection.client.host if connection.client else "unknown"
