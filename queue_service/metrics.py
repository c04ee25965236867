"""Prometheus metrics at /metrics: the handoff figures the supervisor view shows.

Today's averages are 0 while there is nothing to average (Prometheus gauges have no "none").

Read from Redis and SQL at scrape time into a fresh registry, so that every service instance
reports the shared state and no counter lives in one process's memory.
"""

import time

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from kernel.skills import Skill
from queue_service.deps import Queue, Stats, Tickets
from queue_service.handoff.tickets import TicketStatus

router = APIRouter(tags=["metrics"])


@router.get("/metrics")
async def metrics(queue: Queue, tickets: Tickets, stats: Stats) -> Response:
    registry = CollectorRegistry()
    by_skill = {
        name: Gauge(name, text, ["skill"], registry=registry)
        for name, text in (
            ("swa_queue_waiting", "Users waiting for an agent"),
            ("swa_queue_longest_wait_seconds", "How long the first user in line has waited"),
            ("swa_agents_online", "Online agents serving the skill"),
            ("swa_capacity_online", "Chats the skill's online agents can take at once"),
        )
    }
    now_ms = time.time() * 1000
    for skill in Skill:
        figures = await queue.figures(skill)
        longest = (now_ms - figures.head_enqueued_ms) / 1000 if figures.head_enqueued_ms else 0
        by_skill["swa_queue_waiting"].labels(skill.value).set(figures.waiting)
        by_skill["swa_queue_longest_wait_seconds"].labels(skill.value).set(max(0.0, longest))
        by_skill["swa_agents_online"].labels(skill.value).set(figures.agents_online)
        by_skill["swa_capacity_online"].labels(skill.value).set(figures.capacity_online)
    agents = Gauge("swa_agents", "Registered agents by status", ["status"], registry=registry)
    for status, count in (await queue.agents_by_status()).items():
        agents.labels(status.value).set(count)
    open_tickets = Gauge("swa_tickets_open", "Messages left, not yet answered", registry=registry)
    open_tickets.set(await tickets.count(TicketStatus.OPEN))
    today = await stats.today()
    for name, text, value in (
        ("swa_chats_handled_today", "Chats agents closed today (China time)", today.handled),
        ("swa_queue_abandoned_today", "Users who left the queue today", today.abandoned),
        ("swa_wait_seconds_avg_today", "Average wait for an agent today", today.average_wait_s),
        ("swa_handle_seconds_avg_today", "Average handling time today", today.average_handle_s),
        ("swa_csat_avg_today", "Average satisfaction rating (1-5) today", today.csat_average),
        ("swa_csat_ratings_today", "Satisfaction ratings given today", today.csat_count),
    ):
        Gauge(name, text, registry=registry).set(value or 0)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
