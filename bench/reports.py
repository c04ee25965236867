"""The reports page's queries at scale on PostgreSQL, each beside a plain indexed count.

Starts a PostgreSQL of its own (bench/own_postgres.py), creates the schema with the service's
migrations, and loads 100,000 closed sessions (`bot_sessions`) over 90 days with their
1,000,000 transcript lines (user questions, bot replies marked with the bot's events: answers,
declines, 有用 / 没用) and the chats of the sessions handed to agents; then times each chart's query
(queue_service/reports/queries.py) for the last 30 days, interleaved with the yardstick: the
same period's sessions counted on the `started_at` index alone. The ratio p50/count says what
a chart costs beyond touching the period's index entries.

    python -m bench.reports [--sessions 100000] [--lines 1000000] [--rounds 100]

The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import psycopg

from bench.own_postgres import own_postgres
from bench.queue import percentile, summary
from bench.records import interleaved
from kernel.clock import china_now
from kernel.skills import Skill
from queue_service import db
from queue_service.reports.dialect import By, for_name
from queue_service.reports.period import ReportPeriod
from queue_service.reports.queries import Filters, Reports
from queue_service.session_keys import daily_rows

DAYS = 90
CHANNELS = (("webchat", 6), ("wechat", 3), ("telegram", 1))
ENTRIES = [f"entry_{i:03d}" for i in range(120)]
QUESTIONS = [f"第 {i} 种没答上的问题" for i in range(800)]
AGENTS = [f"agent{i:02d}" for i in range(40)]
SKILLS = [s.value for s in Skill]
# Daytime-heavy, as a help desk's traffic is.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 16, 14, 10, 14, 16, 15, 12, 8, 6, 5, 4, 3, 2, 1]


def _outcome(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.15:
        return "handed_off"
    if roll < 0.19:
        return "left_message"
    if roll < 0.25:
        return "abandoned"
    return "contained"


def generate(sessions: int, lines: int, end: datetime, seed: int = 7):
    """Rows for COPY: transcript lines, sessions, chats (lists of tuples, in column order)."""
    rng = random.Random(seed)
    channels = [c for c, weight in CHANNELS for _ in range(weight)]
    per_session = lines / sessions / 2  # user turns per session, on average
    transcript, rows, chats, keyed = [], [], [], []
    line_id = chat_id = 0
    start_of = end - timedelta(days=DAYS)
    for index in range(sessions):
        day = rng.randrange(DAYS)
        hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
        started = start_of + timedelta(days=day, hours=hour, seconds=rng.randrange(3600))
        channel = rng.choice(channels)
        conversation = f"{channel}:{index:07d}"
        turns = max(1, round(rng.gauss(per_session, 1.5)))
        entries, unanswered, declines, answers, at = Counter(), Counter(), 0, 0, started
        verdicts: dict[str, bool] = {}
        last_entry = None
        first = line_id + 1
        for _ in range(turns):
            kind = rng.random()
            text = rng.choice(QUESTIONS) if kind < 0.12 else "怎么办理"
            line_id += 1
            transcript.append((line_id, conversation, "user", text, None, "{}", at))
            if kind < 0.12:
                reason = rng.choice(["out_of_scope", "not_understood"])
                events = [{"kind": "decline", "reason": reason}]
                unanswered[f"{reason}:{text}"] += 1
                declines += 1
            elif kind < 0.8:
                entry = ENTRIES[min(int(rng.expovariate(0.05)), len(ENTRIES) - 1)]
                events = [{"kind": "answer", "entry": entry}]
                entries[entry] += 1
                answers += 1
                last_entry = entry
                if rng.random() < 0.15:  # a 有用 / 没用 click (its own lines are left out)
                    verdicts[entry] = rng.random() < 0.7
            else:
                events = []
            extra = {"custom": {"bot_events": events}} if events else {}
            line_id += 1
            transcript.append(
                (
                    line_id,
                    conversation,
                    "bot",
                    "回答",
                    None,
                    json.dumps(extra),
                    at + timedelta(seconds=2),
                )
            )
            at += timedelta(seconds=rng.randrange(20, 90))
        outcome = _outcome(rng)
        skill = rng.choice(SKILLS) if outcome in ("handed_off", "left_message") else None
        queued = outcome == "handed_off" or (outcome == "abandoned" and rng.random() < 0.7)
        this_chat = None
        if outcome == "handed_off":
            chat_id += 1
            this_chat = chat_id
            wait = rng.randrange(5, 600)
            assigned = at + timedelta(seconds=wait)
            closed = assigned + timedelta(seconds=rng.randrange(60, 1800))
            csat = rng.choice([None, 3, 4, 5, 5]) if rng.random() < 0.6 else None
            chats.append(
                (
                    chat_id,
                    conversation,
                    skill,
                    rng.choice(AGENTS),
                    at,
                    assigned,
                    closed,
                    "resolved",
                    csat,
                )
            )
            at = closed
        feedback = {e: [int(v), int(not v)] for e, v in verdicts.items()}
        after = {last_entry: 1} if last_entry and outcome != "contained" else {}
        keyed.append(
            {
                "started_at": started,
                "channel": channel,
                "skill": skill,
                "entries": entries,
                "feedback": feedback,
                "handoff_after": after,
                "unanswered": unanswered,
            }
        )
        rows.append(
            (
                conversation,
                channel,
                started,
                at,
                outcome,
                first,
                line_id,
                turns,
                turns,
                answers,
                declines,
                0,
                0,
                json.dumps(entries),
                "{}",
                outcome != "contained",
                queued,
                skill,
                this_chat,
                None,
                at + timedelta(minutes=31),
                json.dumps(unanswered),
                sum(verdicts.values()),
                len(verdicts) - sum(verdicts.values()),
                json.dumps(feedback),
                json.dumps(after),
            )
        )
    # What the service adds when it writes each session (queue_service/session_keys.py).
    return transcript, rows, chats, daily_rows(keyed)


def load(dsn: str, transcript, rows, chats, daily) -> None:
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY transcript_messages (id, conversation_id, role, text, agent, extra, "
            "created_at) FROM STDIN"
        ) as copy:
            for row in transcript:
                copy.write_row(row)
        with cur.copy(
            "COPY bot_sessions (conversation_id, channel, started_at, ended_at, outcome, "
            "first_line_id, last_line_id, user_turns, bot_turns, answers, declines, "
            "suggestions, queries, entries, suggested, handoff_requested, queued, "
            "skill, chat_id, ticket_id, closed_at, unanswered, useful, not_useful, feedback, "
            "handoff_after) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        with cur.copy(
            "COPY chats (id, conversation_id, skill, agent, enqueued_at, assigned_at, "
            "closed_at, disposition, csat) FROM STDIN"
        ) as copy:
            for row in chats:
                copy.write_row(row)
        with cur.copy("COPY bot_daily_keys (day, kind, channel, skill, key, n) FROM STDIN") as copy:
            for row in daily:
                copy.write_row(
                    (row["day"], row["kind"], row["channel"], row["skill"], row["key"], row["n"])
                )
        for table in ("transcript_messages", "chats"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")


async def measure(url: str, rounds: int) -> dict[str, list[float]]:
    engine = db.create_engine(url)
    reports = Reports(db.session_factory(engine), for_name(engine.dialect.name))
    today = china_now().date()
    f = Filters(ReportPeriod(today - timedelta(days=29), today, By.DAY))
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "count": lambda: reports.plain_count(f),
        "trend": lambda: reports.trend(f),
        "questions": lambda: reports.questions(f),
        "after": lambda: reports.handoffs_after(f),
        "feedback": lambda: reports.feedback(f),
        "unanswered": lambda: reports.unanswered(f),
        "hours": lambda: reports.hours(f),
        "agents": lambda: reports.staff(f, "agent"),
        "skills": lambda: reports.staff(f, "skill"),
    }
    figures = await interleaved(calls, rounds)
    print(f"30-day period: {await reports.plain_count(f)} sessions")
    await engine.dispose()
    return figures


def main(args: argparse.Namespace) -> str:
    with own_postgres("shared_buffers=256MB", "work_mem=16MB") as url:
        db.upgrade(url)
        started = time.monotonic()
        end = datetime.now(UTC)
        transcript, rows, chats, daily = generate(args.sessions, args.lines, end)
        load(url.replace("+psycopg", ""), transcript, rows, chats, daily)
        print(
            f"loaded {len(transcript)} lines, {len(rows)} sessions, {len(chats)} chats, "
            f"{len(daily)} daily key sums "
            f"in {time.monotonic() - started:.0f} s"
        )
        figures = asyncio.run(measure(url, args.rounds))
    count = percentile(figures["count"], 0.5)
    for name, data in figures.items():
        print(f"{summary(name, data)}  p50/count={percentile(data, 0.5) / count:5.1f}x")
    p99 = {name: percentile(data, 0.99) for name, data in figures.items()}
    worst = max(v for k, v in p99.items() if k != "count")
    verdict = "ok" if worst < 300 else "SLOW"
    return (
        f"reports: lines={len(transcript)} sessions={len(rows)} chats={len(chats)} "
        + " ".join(f"{k}_p99_ms={v:.1f}" for k, v in p99.items())
        + f" worst_p99_ms={worst:.1f} under_300ms={verdict}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=100)
    print(main(parser.parse_args()))
