"""The pool (queue_service/rasa_pool.py): a Rasa server busy with turns answers /status late,
and that alone must not move its conversations elsewhere; a refused connection or a server
without its model is down at once, a server silent check after check is down too; a turn leaves
its conversation's server only when that one is far busier. Stand-in servers are real HTTP
servers (aiohttp's) in the test's own event loop, so a test can hold an answer back."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from queue_service import rasa_pool
from queue_service.rasa_client import RasaClient, ServerStatus
from queue_service.rasa_pool import IMBALANCE, SLOW_CHECKS_DOWN, RasaPool
from tests.support.rasa_standins import closed_port_url

# /status is asked with this timeout here (1 s in the service), and a slow stand-in answers
# well after it.
CHECK_TIMEOUT_S = 0.05
SLOW_S = 0.5


@pytest.fixture(autouse=True)
def quick_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rasa_pool, "CHECK_TIMEOUT_S", CHECK_TIMEOUT_S)


class StandIn:
    """A Rasa server's /status: answering ("up"), too slow ("slow") or without a model."""

    def __init__(self) -> None:
        self.behaviour = "up"
        self.url = ""

    async def status(self, request: web.Request) -> web.Response:
        if self.behaviour == "slow":
            await asyncio.sleep(SLOW_S)
        return web.json_response({"model_id": None if self.behaviour == "no model" else "m"})


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def serving(stand_in: StandIn, webhook: Handler | None = None) -> AsyncIterator[RasaClient]:
    """`stand_in` on a free loopback port, and a client of it, for the block."""
    app = web.Application()
    app.router.add_get("/status", stand_in.status)
    if webhook is not None:
        app.router.add_post("/webhooks/rest/webhook", webhook)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    stand_in.url = str(server.make_url("")).rstrip("/")
    client = RasaClient(stand_in.url, "token", 5.0)
    try:
        yield client
    finally:
        await client.aclose()
        await server.close()


@asynccontextmanager
async def pool_of(*stand_ins: StandIn) -> AsyncIterator[RasaPool]:
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(serving(s)) for s in stand_ins]
        yield RasaPool(clients)


def up_urls(pool: RasaPool) -> set[str]:
    return {c.url for c in pool.up()}


def test_status_tells_slow_from_down() -> None:
    async def scenario() -> None:
        server = StandIn()
        async with serving(server) as client:
            for behaviour, status in (
                ("up", ServerStatus.UP),
                ("slow", ServerStatus.SLOW),
                ("no model", ServerStatus.DOWN),
            ):
                server.behaviour = behaviour
                assert await client.status(CHECK_TIMEOUT_S) is status, behaviour
        refused = RasaClient(closed_port_url(), "token", 5.0)
        assert await refused.status(CHECK_TIMEOUT_S) is ServerStatus.DOWN
        await refused.aclose()

    asyncio.run(scenario())


def test_a_busy_server_stays_up_until_it_is_silent_check_after_check() -> None:
    busy, other = StandIn(), StandIn()

    async def scenario() -> None:
        async with pool_of(busy, other) as pool:
            await pool.check()
            assert up_urls(pool) == {busy.url, other.url} and pool.serving()
            busy.behaviour = "slow"
            for _ in range(SLOW_CHECKS_DOWN - 1):
                await pool.check()
                assert up_urls(pool) == {busy.url, other.url}  # busy, not down
            busy.behaviour = "up"  # it answers again: the count starts over
            await pool.check()
            busy.behaviour = "slow"
            for _ in range(SLOW_CHECKS_DOWN - 1):
                await pool.check()
            assert busy.url in up_urls(pool)
            await pool.check()  # silent SLOW_CHECKS_DOWN times in a row: hung
            assert up_urls(pool) == {other.url}
            busy.behaviour = "up"
            await pool.check()
            assert up_urls(pool) == {busy.url, other.url}

    asyncio.run(scenario())


def test_refused_or_without_model_is_down_at_once() -> None:
    without_model = StandIn()
    without_model.behaviour = "no model"

    async def scenario() -> None:
        async with serving(without_model) as client:
            pool = RasaPool([RasaClient(closed_port_url(), "token", 5.0), client])
            await pool.check()
            assert up_urls(pool) == set()
            assert not pool.serving()
            await pool.clients[0].aclose()

    asyncio.run(scenario())


def test_not_serving_before_a_server_has_answered() -> None:
    """A server hung from its start was never up: slow answers alone never make it serving."""
    hung = StandIn()
    hung.behaviour = "slow"

    async def scenario() -> None:
        async with pool_of(hung) as pool:
            assert not pool.serving()
            await pool.check()
            assert not pool.serving()

    asyncio.run(scenario())


def test_turns_stick_unless_their_server_is_far_busier() -> None:
    """Alone, every turn of a conversation goes to its own server; when that server has
    IMBALANCE more turns in flight than another, the next turn goes to the other."""
    first, second = StandIn(), StandIn()
    received: dict[str, list[str]] = {}
    release = asyncio.Event()

    def answering(server: StandIn) -> Handler:
        async def webhook(request: web.Request) -> web.Response:
            received.setdefault(server.url, []).append((await request.json())["sender"])
            await release.wait()
            return web.json_response([{"text": "收到"}])

        return webhook

    async def scenario() -> None:
        async with (
            serving(first, answering(first)) as to_first,
            serving(second, answering(second)) as to_second,
        ):
            pool = RasaPool([to_first, to_second])
            senders = [f"webchat:{n}" for n in range(40)]
            on_first = [s for s in senders if pool.ranked(s)[0].url == first.url][: IMBALANCE + 1]
            release.set()
            for _ in range(3):  # one at a time: each conversation on its own server
                await pool.send(on_first[0], "你好")
            assert received[first.url] == [on_first[0]] * 3
            release.clear()
            turns = [asyncio.create_task(pool.send(s, "你好")) for s in on_first]
            await asyncio.sleep(0.2)
            # IMBALANCE turns were in flight on the first server: the last went to the second.
            assert received[second.url] == [on_first[-1]]
            release.set()
            await asyncio.gather(*turns)

    asyncio.run(scenario())
