"""Per-day sums of what sessions name by key (FAQ entries answered, 有用 / 没用 per entry, the
entry before a handoff, the questions declined), for the reports' ranked tables.

The studio's inbox of unanswered questions (studio/inbox.py) sums the declined (`unanswered`)
and the otherwise open (`inbox`) questions of a period from here too.

Each closed session's keyed counts (its JSON columns in `bot_sessions`) are added to
`bot_daily_keys`, one row per China-local day (of the session's start), channel, skill, kind and
key, in the same transaction as the session's insert and only if that insert took
(queue_service/outcomes.py): so every session is added once, however many service instances
close sessions. A report then sums at most a few hundred rows per day instead of unpacking the
JSON of every session in the period (docs/performance.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, UniqueConstraint
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.clock import CHINA_TZ

ANSWER = "answer"  # FAQ answers per entry (`entries`)
AFTER = "after"  # the entry answered last before a request for a person (`handoff_after`)
USEFUL = "useful"  # 有用 per entry (`feedback[e][0]`)
NOT_USEFUL = "not_useful"  # 没用 per entry (`feedback[e][1]`)
UNANSWERED = "unanswered"  # "<reason>:<question>" per decline (`unanswered`)
# "<why>:<question>" per 猜你想问, answer rated 没用 or left for a person (`inbox`)
INBOX = "inbox"
# Longer keys (a very long question) are cut: they are shown, not looked up.
MAX_KEY = 300

_metadata = MetaData()
bot_daily_keys = Table(
    "bot_daily_keys",
    _metadata,
    Column("day", Date, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("skill", String(32), nullable=False),  # "" for sessions without one
    Column("key", String(MAX_KEY), nullable=False),
    Column("n", Integer, nullable=False),
    UniqueConstraint("kind", "day", "channel", "skill", "key", name="uq_bot_daily_keys"),
)


def day_of(started_at: datetime) -> date:
    return started_at.astimezone(CHINA_TZ).date()


def keyed(row: dict[str, Any]) -> Counter[tuple[str, str]]:
    """A `bot_sessions` row's keyed counts: (kind, key) -> n."""
    counts: Counter[tuple[str, str]] = Counter()
    for entry, n in (row.get("entries") or {}).items():
        counts[ANSWER, str(entry)[:MAX_KEY]] += int(n)
    for entry, n in (row.get("handoff_after") or {}).items():
        counts[AFTER, str(entry)[:MAX_KEY]] += int(n)
    for entry, pair in (row.get("feedback") or {}).items():
        counts[USEFUL, str(entry)[:MAX_KEY]] += int(pair[0])
        counts[NOT_USEFUL, str(entry)[:MAX_KEY]] += int(pair[1])
    for question, n in (row.get("unanswered") or {}).items():
        counts[UNANSWERED, str(question)[:MAX_KEY]] += int(n)
    for question, n in (row.get("inbox") or {}).items():
        counts[INBOX, str(question)[:MAX_KEY]] += int(n)
    return +counts  # zero counts (a 没用 only, say) add nothing


def daily_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """`bot_sessions` rows as `bot_daily_keys` rows (summed per day, channel, skill, kind, key)."""
    sums: Counter[tuple[date, str, str, str, str]] = Counter()
    for row in rows:
        where = (day_of(row["started_at"]), row["channel"], row.get("skill") or "")
        for (kind, key), n in keyed(row).items():
            sums[(where[0], kind, where[1], where[2], key)] += n
    # In one order everywhere: two transactions adding to the same rows lock them alike.
    return [
        {"day": d, "kind": kind, "channel": c, "skill": s, "key": key, "n": n}
        for (d, kind, c, s, key), n in sorted(sums.items(), key=lambda item: item[0])
    ]


async def add(db: AsyncSession, rows: Iterable[dict[str, Any]]) -> None:
    """Adds sessions' keyed counts in the caller's transaction (insert, or add to the row)."""
    values = daily_rows(rows)
    if not values:
        return
    module = postgresql if db.bind.dialect.name == "postgresql" else sqlite
    statement = module.insert(bot_daily_keys)
    statement = statement.on_conflict_do_update(
        index_elements=["kind", "day", "channel", "skill", "key"],
        set_={"n": bot_daily_keys.c.n + statement.excluded.n},
    )
    for value in values:  # one at a time: a batch may not name one row twice
        await db.execute(statement, value)
