"""Argon2id password hashing in a few worker threads, so that logins never stall the event loop.

One Argon2id run takes over 100 ms of CPU. On the event loop, a few login attempts a second
would stall every socket of the process (and push WeChat past its reply deadline); in unbounded
threads, a burst would take every core. So hashing runs in at most `threads` threads at once
(argon2-cffi releases the GIL while it works), at most `queue` more calls wait for a thread, and
any call beyond that is refused at once with `HashingBusy`: the caller answers "try again
shortly" instead of piling up work nobody will wait for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")

_hasher = PasswordHasher()
# Verified against when the user name is unknown, so that both failures cost one Argon2 run.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class HashingBusy(Exception):
    """Every hashing thread is busy and the queue is full: try again in a moment."""


class BoundedThreads:
    """Runs blocking calls in at most `threads` threads, with at most `queue` calls waiting."""

    def __init__(self, threads: int, queue: int) -> None:
        if threads < 1 or queue < 0:
            raise ValueError("at least one thread and a queue of zero or more")
        self._limiter = anyio.CapacityLimiter(threads)
        self._room = threads + queue
        self._taken = 0

    @property
    def taken(self) -> int:
        """Calls running or waiting for a thread."""
        return self._taken

    async def run(self, function: Callable[..., T], *args: object) -> T:
        if self._taken >= self._room:
            raise HashingBusy
        self._taken += 1
        try:
            # Not abandoned on cancel: the call's place is given back only once its thread has
            # finished, so a client that hangs up cannot leave more work running than allowed.
            return await anyio.to_thread.run_sync(function, *args, limiter=self._limiter)
        finally:
            self._taken -= 1


class Passwords:
    """Hashes and verifies passwords with Argon2id in a `BoundedThreads` pool."""

    def __init__(self, threads: int = 1, queue: int = 16) -> None:
        self.threads = BoundedThreads(threads, queue)

    async def hash(self, password: str) -> str:
        return await self.threads.run(_hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """Whether `password` matches the `stored` hash; None (no such user) costs the same."""
        return await self.threads.run(_verify, stored or _DUMMY_HASH, password)

    @staticmethod
    def needs_rehash(stored: str) -> bool:
        """Whether the hash was made with weaker parameters than today's (cheap: no hashing)."""
        return _hasher.check_needs_rehash(stored)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
