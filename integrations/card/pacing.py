"""Wrong PINs slow the bridge down: each one in a row for a card makes its answer wait longer.

The card locks itself after five wrong PINs (its own counter). The bridge adds a delay before it
answers a wrong PIN, per card: 1 s, 2 s, 4 s ... up to MAX_DELAY_S, back to nothing once the
card takes a right PIN. The delay is taken while the bridge holds the card (one exchange at a
time), so requests sent in parallel wait behind it: a page guessing PINs (a script injected into
an allowed origin, say) gets a few tries a minute rather than as many as the card can answer,
and a card whose own counter is lax still cannot be hammered. Counts live in memory: a restarted
bridge starts again at 1 s, while the card's own counter goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

BASE_DELAY_S = 1.0
MAX_DELAY_S = 30.0

Sleep = Callable[[float], Awaitable[None]]


def delay_s(wrong_in_a_row: int) -> float:
    """The wait before answering the n-th wrong PIN in a row (n >= 1)."""
    return min(MAX_DELAY_S, BASE_DELAY_S * 2 ** (wrong_in_a_row - 1))


class PinPacer:
    def __init__(self, sleep: Sleep = asyncio.sleep) -> None:
        self._sleep = sleep
        self._wrong: dict[str, int] = {}

    async def wrong_pin(self, card_number: str) -> None:
        """Count a wrong PIN for the card and wait before the answer goes out."""
        self._wrong[card_number] = self._wrong.get(card_number, 0) + 1
        await self._sleep(delay_s(self._wrong[card_number]))

    def right_pin(self, card_number: str) -> None:
        self._wrong.pop(card_number, None)
