"""Admission control in front of Rasa: overload is a queue, not an error.

A Rasa server answers a handful of turns at a time well; more in flight only make every one of
them slower, until each one's timeout runs out while it waits inside Rasa (issue 16 measured
46% apologies at 200 users). So the hub lets at most `capacity` turns be in flight per Rasa
server and queues the rest here, first come first served, where waiting costs nothing. The
turn timeout starts when a turn is let through; only a turn that cannot even start within
`max_wait_s` gets the apology. A caller is told once its turn has waited `notice_after_s`,
so the user sees "正在处理，请稍候" rather than nothing.

The gate is per process: with N service instances, up to N x capacity turns reach Rasa.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable

Notice = Callable[[], Awaitable[None]]


class TurnRefused(Exception):
    """The turn could not start within the gate's longest wait."""


class TurnGate:
    def __init__(self, capacity: int, max_wait_s: float, notice_after_s: float = 1.0) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._free = capacity
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._max_wait_s = max_wait_s
        self._notice_after_s = notice_after_s

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @contextlib.asynccontextmanager
    async def turn(self, on_wait: Notice | None = None) -> AsyncIterator[None]:
        """Hold one of the places while the block runs; TurnRefused when none frees in time."""
        await self._enter(on_wait)
        try:
            yield
        finally:
            self._leave()

    async def _enter(self, on_wait: Notice | None) -> None:
        if self._free and not self._waiting:
            self._free -= 1
            return
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(ticket)
        notice = None
        if on_wait is not None:
            notice = asyncio.get_running_loop().call_later(
                self._notice_after_s, lambda: asyncio.ensure_future(_quietly(on_wait))
            )
        try:
            await asyncio.wait_for(asyncio.shield(ticket), self._max_wait_s)
        except TimeoutError:
            if ticket.done():  # let through just as the wait ran out: take the place
                return
            ticket.cancel()
            self._waiting.remove(ticket)
            raise TurnRefused from None
        except asyncio.CancelledError:
            if ticket.done() and not ticket.cancelled():
                self._leave()  # the place was handed over: pass it on
            else:
                ticket.cancel()
                with contextlib.suppress(ValueError):
                    self._waiting.remove(ticket)
            raise
        finally:
            if notice is not None:
                notice.cancel()

    def _leave(self) -> None:
        # The place goes straight to the longest waiting turn, so nobody can jump the queue.
        while self._waiting:
            ticket = self._waiting.popleft()
            if not ticket.done():
                ticket.set_result(None)
                return
        self._free += 1


async def _quietly(notice: Notice) -> None:
    # A notice is a courtesy: a user who has gone away must not fail the turn.
    with contextlib.suppress(Exception):
        await notice()
