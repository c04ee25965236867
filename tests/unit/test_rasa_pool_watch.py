"""The pool (queue_service/rasa_pool.py): a Rasa server busy with turns answers /status late,
and that alone must not move its conversations elsewhere; a refused connection or a server
without its model is down at once, a server silent check after check is down too; a turn leaves
its conversation's server only when that one is far busier. Stand-in servers through httpx's
mock transport."""

import asyncio
import json

import httpx

from queue_service.rasa_client import RasaClient, ServerStatus
from queue_service.rasa_pool import IMBALANCE, SLOW_CHECKS_DOWN, RasaPool


class StandIn:
    """A Rasa server's /status: answering, too slow, refusing, or without a model."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.behaviour = "up"

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.behaviour == "slow":
            raise httpx.ReadTimeout("no answer in time", request=request)
        if self.behaviour == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        model = "a-model" if self.behaviour == "up" else None
        return httpx.Response(200, json={"model_id": model})

    def client(self) -> RasaClient:
        return RasaClient(self.url, "token", 5.0, transport=httpx.MockTransport(self.handler))


def pool_of(*servers: StandIn) -> RasaPool:
    return RasaPool([s.client() for s in servers])


def up_urls(pool: RasaPool) -> set[str]:
    return {c.url for c in pool.up()}


def test_status_tells_slow_from_down() -> None:
    server = StandIn("http://rasa-a")
    client = server.client()
    for behaviour, status in (
        ("up", ServerStatus.UP),
        ("slow", ServerStatus.SLOW),
        ("refused", ServerStatus.DOWN),
        ("no model", ServerStatus.DOWN),
    ):
        server.behaviour = behaviour
        assert asyncio.run(client.status()) is status, behaviour


def test_a_busy_server_stays_up_until_it_is_silent_check_after_check() -> None:
    busy, other = StandIn("http://rasa-a"), StandIn("http://rasa-b")
    pool = pool_of(busy, other)

    async def scenario() -> None:
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
    first, second = StandIn("http://rasa-a"), StandIn("http://rasa-b")
    pool = pool_of(first, second)

    async def scenario() -> None:
        first.behaviour, second.behaviour = "refused", "no model"
        await pool.check()
        assert up_urls(pool) == set()
        assert not pool.serving()

    asyncio.run(scenario())


def test_not_serving_before_a_server_has_answered() -> None:
    """A server hung from its start was never up: slow answers alone never make it serving."""
    hung = StandIn("http://rasa-a")
    hung.behaviour = "slow"
    pool = pool_of(hung)
    assert not pool.serving()
    asyncio.run(pool.check())
    assert not pool.serving()


def test_turns_stick_unless_their_server_is_far_busier() -> None:
    """Alone, every turn of a conversation goes to its own server; when that server has
    IMBALANCE more turns in flight than another, the next turn goes to the other."""
    first, second = StandIn("http://rasa-a"), StandIn("http://rasa-b")
    received: dict[str, list[str]] = {first.url: [], second.url: []}
    release = asyncio.Event()

    def answering(server: StandIn) -> RasaClient:
        async def handler(request: httpx.Request) -> httpx.Response:
            received[server.url].append(json.loads(request.content)["sender"])
            await release.wait()
            return httpx.Response(200, json=[{"text": "收到"}])

        return RasaClient(server.url, "token", 5.0, transport=httpx.MockTransport(handler))

    pool = RasaPool([answering(first), answering(second)])
    senders = [f"webchat:{n}" for n in range(40)]
    on_first = [s for s in senders if pool.ranked(s)[0].url == first.url][: IMBALANCE + 1]

    async def scenario() -> None:
        release.set()
        for _ in range(3):  # one at a time: each conversation on its own server
            await asyncio.gather(*(pool.send(s, "你好") for s in on_first[:1]))
        assert received[first.url] == [on_first[0]] * 3
        release.clear()
        turns = [asyncio.create_task(pool.send(s, "你好")) for s in on_first]
        await asyncio.sleep(0.05)
        # IMBALANCE turns were in flight on the first server: the last went to the second.
        assert received[second.url] == [on_first[-1]]
        release.set()
        await asyncio.gather(*turns)

    asyncio.run(scenario())
