"""Prometheus metrics at /metrics: the handoff figures the supervisor view shows.

Today's averages are 0 while there is nothing to average (Prometheus gauges have no "none").

Read from Redis and SQL at scrape time into a fresh registry, so that every service instance
reports the shared state and no counter lives in one process's memory.
"""

import time

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily

from kernel.skills import Skill
from queue_service import outcomes
from queue_service.deps import Queue, RedisClient, Stats, Tickets
from queue_service.handoff.tickets import TicketStatus

router = APIRouter(tags=["metrics"])


@router.get("/metrics")
async def metrics(queue: Queue, tickets: Tickets, stats: Stats, redis: RedisClient) -> Response:
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
    registry.register(BotTotals(await outcomes.totals(redis)))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


# The bot's outcome counters (docs/metrics.md): totals over closed sessions, kept in Redis by
# the process that wrote each session (queue_service/outcomes.py), so every instance reports the
# same values; scrape one instance, or take max() across them, never sum().
CHANNELS = ("webchat", "wechat", "telegram")
BOT_COUNTERS = (
    ("turns", "swa_bot_turns", "User messages the bot answered, in closed sessions"),
    ("answers", "swa_bot_answers", "FAQ answers the bot gave, in closed sessions"),
    ("declines", "swa_bot_declines", "Replies where the bot could not answer, in closed sessions"),
    ("suggestions", "swa_bot_suggestions", "猜你想问 offers (closest entries), in closed sessions"),
    ("queries", "swa_bot_queries", "Self-service queries run, in closed sessions"),
)


class BotTotals:
    """A collector of the shared totals as Prometheus counters (zero for the known labels)."""

    def __init__(self, totals: dict[tuple[str, ...], int]) -> None:
        self._totals = totals

    def collect(self):
        yield self._by(
            "sessions",
            CounterMetricFamily(
                "swa_bot_sessions",
                "Closed conversation sessions by outcome",
                labels=["outcome", "channel"],
            ),
            [outcome.value for outcome in outcomes.Outcome],
        )
        yield self._by(
            "feedback",
            CounterMetricFamily(
                "swa_bot_feedback",
                "有用 / 没用 on FAQ answers (the last per entry and session), in closed sessions",
                labels=["verdict", "channel"],
            ),
            ["useful", "not_useful"],
        )
        for key, name, text in BOT_COUNTERS:
            family = CounterMetricFamily(name, text, labels=["channel"])
            by_channel = {k[1]: v for k, v in self._totals.items() if k[0] == key and len(k) == 2}
            for channel in CHANNELS:
                by_channel.setdefault(channel, 0)
            for channel, value in sorted(by_channel.items()):
                family.add_metric([channel], value)
            yield family

    def _by(self, key: str, family: CounterMetricFamily, values: list[str]) -> CounterMetricFamily:
        """A family of (value, channel) counters, zero for every known pair."""
        found = {k[1:]: v for k, v in self._totals.items() if k[0] == key and len(k) == 3}
        for value in values:
            for channel in CHANNELS:
                found.setdefault((value, channel), 0)
        for labels, count in sorted(found.items()):
            family.add_metric(list(labels), count)
        return family
