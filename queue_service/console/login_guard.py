"""Console login failures, counted so that guessing is slow and nobody can lock an agent out.

Three counters over the same 15-minute window, shared by every instance (`limits.WindowLimit`):
- per user name and address: an agent's own typing errors, or one guesser at one account;
- per address: one guesser trying many user names;
- per user name, a high ceiling: many addresses guessing one account. Over it, the account can
  still log in from the addresses it logged in from before (remembered for 30 days), so the
  ceiling slows a distributed guesser down without locking the agent out of their own desk.
A lockout by user name alone (any address) would let anyone who knows a name keep that agent
out, which is why no counter refuses an address merely for another address's failures.

Every attempt is counted BEFORE its password is checked (one atomic increment each), so
parallel guesses cannot all read a count under the limit. An attempt refused by one counter is
taken back from the counters before it, so only attempts that get their password checked add up
elsewhere (one address hammering a locked pair cannot push the account over its ceiling). An
attempt that succeeds is taken back too (and clears its user+address counter), and so is one
that was counted but never checked because the service was busy.
"""

from __future__ import annotations

from redis.asyncio import Redis

from queue_service.limits import WindowLimit

WINDOW_S = 900
PER_USER_AND_ADDRESS = 10
PER_ADDRESS = 30
PER_USER = 100
KNOWN_ADDRESSES_S = 30 * 24 * 3600
KNOWN_PREFIX = "swa:staff-known-addresses:"


class LoginGuard:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._pair = WindowLimit(redis, "login-user-ip", PER_USER_AND_ADDRESS, WINDOW_S)
        self._address = WindowLimit(redis, "login-ip", PER_ADDRESS, WINDOW_S)
        self._user = WindowLimit(redis, "login-user", PER_USER, WINDOW_S)

    async def attempt(self, username: str, address: str) -> int:
        """Count one attempt: 0 if it may go on, else the seconds until it may be tried again."""
        counted: list[tuple[WindowLimit, tuple[str, ...]]] = []
        for limit, parts in self._limits(username, address):
            if await limit.hit(*parts) or (
                limit is self._user and await self._known(username, address)
            ):
                counted.append((limit, parts))
                continue
            for earlier, earlier_parts in counted:
                await earlier.forgive(*earlier_parts)
            return max(1, await limit.retry_after(*parts))
        return 0

    async def succeeded(self, username: str, address: str) -> None:
        await self._pair.reset(username, address)
        await self._address.forgive(address)
        await self._user.forgive(username)
        known = KNOWN_PREFIX + username
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.sadd(known, address)
            pipe.expire(known, KNOWN_ADDRESSES_S)
            await pipe.execute()

    async def not_checked(self, username: str, address: str) -> None:
        """The attempt was counted but its password never checked (the service was busy)."""
        for limit, parts in self._limits(username, address):
            await limit.forgive(*parts)

    def _limits(self, username: str, address: str) -> list[tuple[WindowLimit, tuple[str, ...]]]:
        return [
            (self._pair, (username, address)),
            (self._address, (address,)),
            (self._user, (username,)),
        ]

    async def _known(self, username: str, address: str) -> bool:
        return bool(await self._redis.sismember(KNOWN_PREFIX + username, address))
