"""Background work is restarted after a failure and reported while it fails (issue 16)."""

import asyncio

import pytest
from redis.exceptions import RedisError

from queue_service import background
from queue_service.background import Background
from queue_service.console import socket


@pytest.fixture(autouse=True)
def short_pauses(monkeypatch) -> None:
    monkeypatch.setattr(background, "FIRST_PAUSE_S", 0.01)
    monkeypatch.setattr(socket, "PRESENCE_RETRY_S", 0.01)


async def test_failing_work_is_restarted_until_it_finishes() -> None:
    runs: list[int] = []

    async def flaky() -> None:
        runs.append(1)
        if len(runs) < 3:
            raise RedisError("connection lost")

    tasks = Background()
    await asyncio.wait_for(tasks.start("flaky", flaky), 2)
    assert len(runs) == 3
    assert tasks.problems() == {"flaky": "stopped"}  # no longer failing, and not running


async def test_work_done_once_is_no_problem_when_it_is_done() -> None:
    async def once() -> None:
        return None

    tasks = Background()
    await tasks.start("warm-up", once, once=True)
    assert tasks.problems() == {}


async def test_work_that_keeps_failing_is_reported_and_still_retried() -> None:
    runs: list[int] = []

    async def broken() -> None:
        runs.append(1)
        raise ValueError("bad state")

    tasks = Background()
    tasks.start("broken", broken)
    await asyncio.sleep(0.005)
    assert tasks.problems() == {"broken": "ValueError"}
    await asyncio.sleep(0.1)
    assert len(runs) >= 3  # not dead after the first failure
    await tasks.stop()


async def test_stop_ends_work_that_swallows_a_cancel() -> None:
    """As Python 3.11's wait_for can, under redis-py's timeouts: the first cancel is lost."""
    swallowed: list[int] = []

    async def stubborn() -> None:
        while True:
            try:
                await asyncio.sleep(1)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed.append(1)

    tasks = Background()
    task = tasks.start("stubborn", stubborn)
    await asyncio.sleep(0)
    await asyncio.wait_for(tasks.stop(), 1)
    assert swallowed == [1] and task.done()


class BlinkingQueue:
    """A queue whose presence refresh fails the first times, as while Redis restarts."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.touched = 0

    async def touch_presence(self, username: str, grace_s: int) -> None:
        if self.failures:
            self.failures -= 1
            raise RedisError("Connection refused")
        self.touched += 1


async def test_presence_refresh_survives_redis_errors() -> None:
    queue = BlinkingQueue(failures=3)
    refresh = asyncio.create_task(socket._keep_present(queue, "agent1", grace_s=30))
    for _ in range(100):
        await asyncio.sleep(0.01)
        if queue.touched:
            break
    refresh.cancel()
    assert queue.failures == 0 and queue.touched == 1
