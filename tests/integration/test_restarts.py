"""The queue survives a Redis restart: the embedded Redis keeps an append-only file."""

import redis.asyncio as aioredis

from kernel.skills import Skill
from queue_service.handoff.phases import Phase
from queue_service.handoff.queue import AgentStatus, HandoffQueue
from tests.support.servers import RedisProcess


async def test_queue_order_and_assignments_survive_a_redis_restart(tmp_path) -> None:
    server = RedisProcess(tmp_path / "redis")
    server.start()
    try:
        client = aioredis.from_url(server.url, decode_responses=True)
        queue = HandoffQueue(client)
        await queue.register_agent("wang", [Skill.AIRPORT], capacity=1)
        await queue.set_status("wang", AgentStatus.ONLINE)
        for name in ("first", "second", "third"):
            await queue.enqueue(f"webchat:{name}", Skill.AIRPORT)
        await queue.assign_next(Skill.AIRPORT)
        await client.aclose()

        server.stop()  # SIGTERM: Redis flushes its append-only file and exits
        server.start()

        client = aioredis.from_url(server.url, decode_responses=True)
        queue = HandoffQueue(client)
        assert [cid for cid, _ in await queue.waiting(Skill.AIRPORT)] == [
            "webchat:second",
            "webchat:third",
        ]
        served = await queue.read("webchat:first")
        assert (served.phase, served.agent) == (Phase.WITH_AGENT, "wang")
        assert (await queue.agent("wang")).load == 1
        await client.aclose()
    finally:
        server.stop()
