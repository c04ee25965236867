"""The process's long-running work (the handoff round, relays, a console's presence), kept
alive: a failure is logged and the work restarted after a growing pause, never left dead.

A task that died silently is how an agent ends up "offline" while the console still looks
connected (issue 16): one Redis error ended the presence refresh. `/readyz` asks `problems()`,
so an operator sees work that keeps failing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

FIRST_PAUSE_S = 0.5
STOP_WAIT_S = 2.0
LONGEST_PAUSE_S = 10.0


async def keep_running(
    name: str,
    work: Callable[[], Awaitable[None]],
    on_failure: Callable[[str, BaseException], None] | None = None,
    on_retry: Callable[[str], None] | None = None,
) -> None:
    """Run `work` until it returns; after each failure, log it and run it again after a pause
    that doubles up to LONGEST_PAUSE_S. `work` that ran a while before failing starts from
    the first pause again."""
    pause = FIRST_PAUSE_S
    while True:
        started = time.monotonic()
        try:
            await work()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning(
                "background work failed, restarting",
                extra={"task": name, "error": f"{type(exc).__name__}: {exc}"},
            )
            if on_failure is not None:
                on_failure(name, exc)
        if time.monotonic() - started > LONGEST_PAUSE_S:
            pause = FIRST_PAUSE_S
        await asyncio.sleep(pause)
        if on_retry is not None:
            on_retry(name)
        pause = min(pause * 2, LONGEST_PAUSE_S)


class Background:
    """The process's named background tasks, and which of them are failing now."""

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._failing: dict[str, str] = {}
        self._once: set[str] = set()

    def start(
        self, name: str, work: Callable[[], Awaitable[None]], once: bool = False
    ) -> asyncio.Task[None]:
        """Run `work` in the background, again after each failure. Work that runs for as long
        as the service does is a problem once it has stopped; work done `once` is not."""
        task = asyncio.create_task(
            keep_running(name, work, self._failed, self._retrying), name=name
        )
        self._tasks[name] = task
        if once:
            self._once.add(name)
        return task

    def _failed(self, name: str, exc: BaseException) -> None:
        self._failing[name] = type(exc).__name__

    def _retrying(self, name: str) -> None:
        # Cleared when the work is tried again; it is set again at once if it fails again.
        self._failing.pop(name, None)

    def problems(self) -> dict[str, str]:
        """Tasks that ended or failed on their last try, with why; empty when all is well."""
        problems = dict(self._failing)
        for name, task in self._tasks.items():
            if task.done() and not task.cancelled() and name not in self._once:
                problems[name] = "stopped"
        return problems

    async def stop(self) -> None:
        """Cancel every task, again and again for up to STOP_WAIT_S: Python 3.11's wait_for
        (under redis-py's and SQLAlchemy's timeouts) can swallow a cancel that lands as the
        awaited call completes, and a task that lives on must not hang the service's way down."""
        deadline = asyncio.get_running_loop().time() + STOP_WAIT_S
        pending = {task for task in self._tasks.values() if not task.done()}
        while pending and asyncio.get_running_loop().time() < deadline:
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=0.1)
        if pending:
            log.warning("background work did not stop", extra={"tasks": len(pending)})
        for task in self._tasks.values():
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: no "exception was never retrieved" at exit
        self._tasks.clear()
