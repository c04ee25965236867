"""/metrics reports the handoff state shared in Redis and SQL, in Prometheus' text format."""

import asyncio
import time

import redis.asyncio as aioredis

from kernel.skills import Skill
from queue_service.handoff.queue import AgentStatus, HandoffQueue
from tests.support.rasa_standins import closed_port_url
from tests.support.service import make_client


def test_metrics_report_the_shared_queue_state(redis_process, database_url) -> None:
    async def fill() -> None:
        redis = aioredis.from_url(redis_process.url, decode_responses=True)
        queue = HandoffQueue(redis, clock=lambda: time.time() - 90)  # queued 90 s ago
        await redis.flushdb()
        await queue.register_agent("wang", [Skill.AIRPORT], capacity=3)
        await queue.touch_presence("wang", 60)  # a console is open, as for any online agent
        await queue.set_status("wang", AgentStatus.ONLINE)
        await queue.register_agent("li", [Skill.AIRPORT, Skill.ACCOUNT], capacity=3)
        await queue.enqueue("webchat:a", Skill.AIRPORT)
        await queue.enqueue("webchat:b", Skill.AIRPORT)
        await redis.aclose()

    asyncio.run(fill())
    # Agents pick airport users by hand: the handoff round, which starts with the service, must
    # not assign one of the two before the scrape.
    with make_client(
        redis_process.url, database_url, closed_port_url(), manual_skills="airport"
    ) as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = dict(
        line.rsplit(" ", 1) for line in response.text.splitlines() if not line.startswith("#")
    )
    assert float(lines['swa_queue_waiting{skill="airport"}']) == 2
    assert float(lines['swa_queue_waiting{skill="account"}']) == 0
    assert 89 <= float(lines['swa_queue_longest_wait_seconds{skill="airport"}']) < 120
    assert float(lines['swa_agents_online{skill="airport"}']) == 1
    assert float(lines['swa_capacity_online{skill="airport"}']) == 3
    assert float(lines['swa_agents{status="online"}']) == 1
    assert float(lines['swa_agents{status="offline"}']) == 1
    assert "swa_tickets_open" in lines
    assert float(lines["swa_chats_handled_today"]) >= 0
    assert "swa_csat_avg_today" in lines
