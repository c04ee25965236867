"""The queue in front of Rasa: a bounded number of turns in flight, the rest in order, a
notice for those that wait, and the apology only past the longest wait (issue 16)."""

import asyncio

import pytest

from queue_service.admission import TurnGate, TurnRefused


async def test_at_most_capacity_turns_run_and_the_rest_go_in_arrival_order() -> None:
    gate = TurnGate(capacity=2, max_wait_s=5)
    running, most, order = 0, 0, []

    async def turn(n: int) -> None:
        nonlocal running, most
        async with gate.turn():
            running += 1
            most = max(most, running)
            order.append(n)
            await asyncio.sleep(0.01)
            running -= 1

    turns = []
    for n in range(10):
        turns.append(asyncio.create_task(turn(n)))
        await asyncio.sleep(0)  # each arrives after the one before
    await asyncio.gather(*turns)
    assert most == 2
    assert order == list(range(10))


async def test_a_turn_that_cannot_start_in_time_is_refused_and_leaves_the_line() -> None:
    gate = TurnGate(capacity=1, max_wait_s=0.05)
    release = asyncio.Event()

    async def hold() -> None:
        async with gate.turn():
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    with pytest.raises(TurnRefused):
        async with gate.turn():
            pass
    assert gate.waiting == 0
    release.set()
    await holder
    async with gate.turn():  # the place came back
        pass


async def test_a_waiting_turn_is_told_once_and_a_prompt_one_never() -> None:
    gate = TurnGate(capacity=1, max_wait_s=5, notice_after_s=0.01)
    notices: list[str] = []

    async def notice(who: str) -> None:
        notices.append(who)

    async def turn(who: str, hold_s: float) -> None:
        async with gate.turn(lambda: notice(who)):
            await asyncio.sleep(hold_s)

    await asyncio.gather(turn("first", 0.1), turn("second", 0))
    assert notices == ["second"]


async def test_a_waiting_turn_cancelled_passes_its_place_on() -> None:
    gate = TurnGate(capacity=1, max_wait_s=5)
    release = asyncio.Event()
    done: list[str] = []

    async def turn(who: str) -> None:
        async with gate.turn():
            if who == "first":
                await release.wait()
            done.append(who)

    first = asyncio.create_task(turn("first"))
    await asyncio.sleep(0)
    gone = asyncio.create_task(turn("gone"))
    last = asyncio.create_task(turn("last"))
    await asyncio.sleep(0)
    gone.cancel()
    release.set()
    await asyncio.gather(first, last)
    assert done == ["first", "last"]
    assert gate.waiting == 0
