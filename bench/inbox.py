"""The studio's inbox of unanswered questions (未知问题) at scale on PostgreSQL, beside a plain
indexed count.

Starts a PostgreSQL of its own (bench/own_postgres.py), creates the schema with the service's
migrations and loads the reports benchmark's data (bench/reports.py: 100,000 closed sessions
over 90 days with their 1,000,000 transcript lines), its unanswered questions drawn from
realistic Chinese wordings instead: topics times ways of asking, filler words, punctuation and
record numbers that differ on most asks, so the period has tens of thousands of distinct
texts, as a real inbox would. A share of them are also counted as 猜你想问 / 没用 / 转人工
(the `inbox` kind of the daily sums). Then it times the inbox page's work for the last 30 days
(studio/inbox.py: the daily sums' most asked questions, handled ones left out, clustered), the
SQL alone, and the yardstick (the period's sessions counted on the `started_at` index, the
reports benchmark's), interleaved.

    python -m bench.inbox [--sessions 100000] [--lines 1000000] [--rounds 100]

The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from bench import reports as reports_bench
from bench.own_postgres import own_postgres
from bench.queue import percentile, summary
from bench.records import interleaved
from kernel.clock import china_now
from queue_service import db
from queue_service.reports.dialect import By, for_name
from queue_service.reports.period import ReportPeriod
from queue_service.reports.queries import Filters, Reports
from queue_service.session_keys import INBOX, UNANSWERED
from studio.inbox import Inbox, period

SUBJECTS = (
    "报关单",
    "舱单",
    "卡介质",
    "数字证书",
    "账号",
    "登录密码",
    "电子发票",
    "出口退税",
    "许可证",
    "运抵报告",
    "原产地证",
    "加贸手册",
    "跨境电商清单",
    "企业资质",
    "检验检疫证书",
    "税费单",
    "核注清单",
    "减免税申请",
    "快件报关",
    "船舶申报",
)
ASKS = (
    "怎么查询",
    "打不开",
    "提示系统错误",
    "无法提交",
    "怎么修改",
    "丢了怎么办",
    "一直审核中",
    "在哪里打印",
    "被退回了什么原因",
    "过期了怎么续",
    "怎么撤销",
    "状态不更新",
    "可以删除吗",
    "收费标准是多少",
    "需要什么材料",
)
BEFORE = ("", "", "请问", "你好，", "我想问一下", "麻烦问下")
AFTER = ("", "", "？", "呢", "啊", "?", "！！")
# Not Single Window questions at all, asked now and then.
OTHER = ("今天天气怎么样", "讲个笑话", "附近有什么好吃的", "帮我订机票", "股票明天会涨吗")


def wordings(count: int, seed: int = 11) -> list[str]:
    """`count` distinct masked questions as users type them (record numbers kept: they are
    not personal numbers; most asks with one are a text of their own)."""
    rng = random.Random(seed)
    found: set[str] = set()
    while len(found) < count:
        if rng.random() < 0.05:
            text = rng.choice(OTHER) + rng.choice(AFTER)
        else:
            subject, ask = rng.choice(SUBJECTS), rng.choice(ASKS)
            number = f"{rng.randrange(10**17, 10**18)}" if rng.random() < 0.6 else ""
            middle = f"{subject}{number}{ask}" if number else f"{subject}{ask}"
            text = rng.choice(BEFORE) + middle + rng.choice(AFTER)
        found.add(text)
    return sorted(found)


def with_inbox_kinds(daily: list[dict], seed: int = 13) -> list[dict]:
    """The declines' daily sums, and about as many again counted as the inbox's other kinds
    (summed per row of the table, as the service's upsert would)."""
    rng = random.Random(seed)
    more: Counter[tuple] = Counter()
    for row in daily:
        if row["kind"] == UNANSWERED and rng.random() < 0.5:
            why = rng.choice(("suggested", "not_useful", "handoff"))
            question = row["key"].partition(":")[2]
            where = (row["day"], row["channel"], row["skill"], f"{why}:{question}")
            more[where] += row["n"]
    return daily + [
        {"day": d, "kind": INBOX, "channel": c, "skill": s, "key": k, "n": n}
        for (d, c, s, k), n in more.items()
    ]


def question_of(text: str) -> tuple[str, str] | str:
    """Which generated question a wording asks (subject and ask), for the clusters' purity."""
    for other in OTHER:
        if text.startswith(other):
            return other
    subject = max((s for s in SUBJECTS if s in text), key=len, default="")
    ask = max((a for a in ASKS if a in text), key=len, default="")
    return subject, ask


def mixed(page: dict) -> int:
    """Clusters on the page holding wordings of more than one generated question."""
    return sum(1 for c in page["clusters"] if len({question_of(q) for q in c["all"]}) > 1)


class _NoEntries:
    """The page's clusters read no entry (suggestions are asked per cluster, from Rasa)."""


async def measure(url: str, rounds: int) -> tuple[dict[str, list[float]], dict]:
    engine = db.create_engine(url)
    reports = Reports(db.session_factory(engine), for_name(engine.dialect.name))
    inbox = Inbox(engine, _NoEntries())  # type: ignore[arg-type]
    today = china_now().date()
    f = Filters(ReportPeriod(today - timedelta(days=29), today, By.DAY))
    start, end = period(30, today)
    figures = await interleaved(
        {
            "count": lambda: reports.plain_count(f),
            "inbox_sql": lambda: inbox.counted(start, end),
            "inbox_page": lambda: inbox.clusters(start, end),
        },
        rounds,
    )
    page = await inbox.clusters(start, end)
    await engine.dispose()
    return figures, page


def main(args: argparse.Namespace) -> str:
    reports_bench.QUESTIONS = wordings(args.distinct)
    with own_postgres("shared_buffers=256MB", "work_mem=16MB") as url:
        db.upgrade(url)
        started = time.monotonic()
        transcript, rows, chats, daily = reports_bench.generate(
            args.sessions, args.lines, datetime.now(UTC)
        )
        daily = with_inbox_kinds(daily)
        reports_bench.load(url.replace("+psycopg", ""), transcript, rows, chats, daily)
        print(
            f"loaded {len(transcript)} lines, {len(rows)} sessions, {len(daily)} daily key sums "
            f"in {time.monotonic() - started:.0f} s"
        )
        loaded = len(transcript), len(rows), len(daily)
        # The generated rows are in PostgreSQL now; kept in this process, their millions of
        # objects would make every garbage collection during the timing walk them (a service
        # holds none of them).
        del transcript, rows, chats, daily
        gc.collect()
        figures, page = asyncio.run(measure(url, args.rounds))
    print(
        f"30 days: {page['questions']} distinct questions clustered (of the most asked), "
        f"{page['total']} clusters, {mixed(page)} of the page's {len(page['clusters'])} mixing "
        "generated questions; first: "
        + "; ".join(f"{c['text']} ×{c['count']} ({len(c['all'])})" for c in page["clusters"][:5])
    )
    count = percentile(figures["count"], 0.5)
    for name, data in figures.items():
        print(f"{summary(name, data)}  p50/count={percentile(data, 0.5) / count:5.1f}x")
    p99 = {name: percentile(data, 0.99) for name, data in figures.items()}
    verdict = "ok" if p99["inbox_page"] < 200 else "SLOW"
    return (
        f"inbox: lines={loaded[0]} sessions={loaded[1]} daily_keys={loaded[2]} "
        f"questions={page['questions']} clusters={page['total']} mixed_on_page={mixed(page)} "
        + " ".join(f"{k}_p99_ms={v:.1f}" for k, v in p99.items())
        + f" under_200ms={verdict}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=100)
    print(main(parser.parse_args()))
