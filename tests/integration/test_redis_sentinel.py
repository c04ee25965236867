"""Redis Sentinel (kernel/redis_connect.py) against real Debian redis-server and redis-sentinel
processes: the master killed with -9, the replica promoted. Every call during the switch ends
within the fail-fast bounds (answered or failed, never hanging), the next ones reach the new
master with what was written before, and the bus's subscriptions come back by themselves."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.exceptions import RedisError

from kernel.redis_connect import SentinelConfig, async_client, sync_client
from kernel.settings import SharedSettings
from queue_service.bus import PONG_WITHIN_S, QUIET_CHECK_S, Bus
from tests.support.sentinel import SentinelSet

TIMEOUT_S = 1.0
# One call: a timeout, or a refused connection retried once, plus asking the sentinels.
CALL_BOUND_S = 2 * TIMEOUT_S + 1.0


@pytest.fixture
def sentinels(tmp_path: Path) -> Iterator[SentinelSet]:
    group = SentinelSet(tmp_path)
    group.start()
    try:
        yield group
    finally:
        group.stop()


def test_sentinels_parse_and_bad_ones_are_refused_clearly() -> None:
    config = SentinelConfig.parse(" 10.0.0.1:26379, [::1]:26380 ", "main", "pw")
    assert config is not None
    assert config.nodes == (("10.0.0.1", 26379), ("::1", 26380))
    assert (config.master_name, config.password) == ("main", "pw")
    assert SentinelConfig.parse("") is None
    with pytest.raises(ValueError, match="not host:port"):
        SentinelConfig.parse("10.0.0.1")
    settings = SharedSettings(redis_sentinels="127.0.0.1:1", redis_master_name="m")
    assert settings.redis_sentinel() == SentinelConfig((("127.0.0.1", 1),), "m", None)


async def test_a_client_follows_the_master_through_a_failover(sentinels: SentinelSet) -> None:
    client = async_client(sentinels.url, TIMEOUT_S, sentinels.config)
    try:
        await client.set("before", "kept")
        await client.rpush("line", "u1", "u2")
        await _replicated(client)
        old = sentinels.master_port()
        sentinels.kill_master()

        # Calls through the switch: each ends within its bound, answered or failed.
        durations, failed = [], 0
        started = time.monotonic()
        while time.monotonic() - started < 30:
            t0 = time.monotonic()
            try:
                await client.rpush("line", "u3")
            except RedisError:
                failed += 1
                durations.append(time.monotonic() - t0)
                await asyncio.sleep(0.2)
                continue
            durations.append(time.monotonic() - t0)
            break
        else:
            pytest.fail("no call reached a new master within 30 s")
        assert max(durations) < CALL_BOUND_S, durations
        assert failed >= 1  # the master really was gone for a while
        assert sentinels.master_port() != old
        assert await client.get("before") == "kept"
        assert await client.lrange("line", 0, -1) == ["u1", "u2", "u3"]
    finally:
        await client.aclose()


def test_a_blocking_client_follows_too(sentinels: SentinelSet) -> None:
    """What Rasa's lock and tracker stores use (rasa_addons/redis_stores.py)."""
    client = sync_client(sentinels.url, TIMEOUT_S, sentinels.config)
    client.set("tracker", "events")
    client.wait(1, 500)
    old = sentinels.master_port()
    sentinels.kill_master()
    deadline = time.monotonic() + 30
    while True:
        t0 = time.monotonic()
        try:
            client.set("lock", "held")
            break
        except RedisError:
            assert time.monotonic() - t0 < CALL_BOUND_S
            assert time.monotonic() < deadline, "no new master within 30 s"
            time.sleep(0.2)
    assert sentinels.master_port() != old
    assert client.get("tracker") == "events"
    client.close()


async def test_the_bus_resubscribes_after_a_failover(sentinels: SentinelSet) -> None:
    listener_side = async_client(sentinels.url, TIMEOUT_S, sentinels.config)
    publisher = async_client(sentinels.url, TIMEOUT_S, sentinels.config)
    bus = Bus(listener_side)
    await bus.start()
    try:
        async with bus.listen("conv:a") as events:
            await Bus(publisher).publish("conv:a", {"n": 1})
            assert (await asyncio.wait_for(events.get(), 5)) == {"n": 1}
            old = sentinels.master_port()
            sentinels.kill_master()
            sentinels.wait_for_new_master(old)
            # Published until the listener's new subscription hears one (it resubscribes on
            # its own; a publish before that reaches nobody, as the bus's contract says).
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    await Bus(publisher).publish("conv:a", {"n": 2})
                except RedisError:
                    await asyncio.sleep(0.2)
                    continue
                try:
                    assert (await asyncio.wait_for(events.get(), 0.5)) == {"n": 2}
                    break
                except TimeoutError:
                    continue
            else:
                pytest.fail("the bus did not resubscribe on the new master within 20 s")
    finally:
        await bus.stop()
        await listener_side.aclose()
        await publisher.aclose()


async def test_a_frozen_master_is_left_for_the_new_one_and_the_bus_follows(
    sentinels: SentinelSet,
) -> None:
    """A master whose host freezes (SIGSTOP) closes no socket: calls time out within the bound,
    the sentinels promote the replica, the next calls reach it, and the bus, which would wait
    on the frozen connection for ever, notices its ping unanswered and subscribes again."""
    listener_side = async_client(sentinels.url, TIMEOUT_S, sentinels.config)
    client = async_client(sentinels.url, TIMEOUT_S, sentinels.config)
    bus = Bus(listener_side)
    await bus.start()
    old = sentinels.master_port()
    frozen = sentinels.nodes[sentinels.node_ports.index(old)]
    assert frozen is not None
    try:
        async with bus.listen("conv:b") as events:
            await Bus(client).publish("conv:b", {"n": 1})
            assert (await asyncio.wait_for(events.get(), 5)) == {"n": 1}
            frozen.send_signal(signal.SIGSTOP)
            frozen_at = time.monotonic()
            while True:
                t0 = time.monotonic()
                try:
                    await client.set("after", "frozen")
                    break
                except RedisError:
                    assert time.monotonic() - t0 < CALL_BOUND_S
                    assert time.monotonic() - frozen_at < 30, "no new master within 30 s"
                    await asyncio.sleep(0.2)
            assert sentinels.master_port() != old
            deadline = time.monotonic() + QUIET_CHECK_S + 2 * PONG_WITHIN_S + 10
            while True:
                assert time.monotonic() < deadline, "the bus stayed on the frozen master"
                await Bus(client).publish("conv:b", {"n": 2})
                try:
                    assert (await asyncio.wait_for(events.get(), 0.5)) == {"n": 2}
                    break
                except TimeoutError:
                    continue
    finally:
        frozen.send_signal(signal.SIGCONT)
        await bus.stop()
        await listener_side.aclose()
        await client.aclose()


async def _replicated(client) -> None:
    """Wait until the replica has every write so far (a write not yet copied is lost with the
    master, as Redis's asynchronous replication allows)."""
    assert await client.wait(1, 500) == 1
