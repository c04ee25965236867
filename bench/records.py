"""Self-service queries on the large demo set, each beside its floor measured in the same run.

Loads 10,000 consumers, 100,000 orders and 20,000 declarations (actions/records/demo.py) into a
throwaway SQLite database (or the PostgreSQL database given), then times what the actions ask:
a consumer's quota, the first page of their tax bills and clearances, a tax bill's details, an
enterprise's print applications and appointments; beside `SELECT 1` through the same engine
(the floor any query pays). The ratio says what the query itself costs; every call is scoped
by its owner and served by an index on (owner, date).

    python -m bench.records [--database-url URL] [--rounds 300]

The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import text

from actions.records.db import sessions, upgrade
from actions.records.demo import large, load
from actions.records.repository import ApplicationKind
from actions.records.sql import SqlRecords
from bench.queue import percentile, summary
from kernel.clock import CHINA_TZ


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def interleaved(
    calls: dict[str, Callable[[], Awaitable[object]]], rounds: int
) -> dict[str, list[float]]:
    """Each call's times in ms: all called once to warm pools and caches, then `rounds` rounds
    of one call each, interleaved, so that machine noise hits all alike."""
    figures: dict[str, list[float]] = {name: [] for name in calls}
    for call in calls.values():
        await call()
    for _ in range(rounds):
        for name, call in calls.items():
            figures[name].append(await timed(call))
    return figures


async def measure(database_url: str, rounds: int) -> dict[str, list[float]]:
    factory = sessions(database_url)
    records = SqlRecords(factory)
    rng = random.Random(7)
    people = [f"person-{i:05d}" for i in range(9_998)]
    companies = [f"ent-{i:04d}" for i in range(200)]
    bills = [b.tax_no for b in (await records.tax_bills("person-demo-1")).items]

    async def floor() -> None:
        async with factory() as session:
            await session.execute(text("SELECT 1"))

    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "floor": floor,
        "quota": lambda: records.quota(rng.choice(people), 2026),
        "taxes": lambda: records.tax_bills(rng.choice(people)),
        "bill": lambda: records.tax_bill("person-demo-1", rng.choice(bills)),
        "orders": lambda: records.inventories(rng.choice(people)),
        "prints": lambda: records.applications(rng.choice(companies), ApplicationKind.PRINT),
        "appoint": lambda: records.appointments(rng.choice(companies[::10])),
    }
    figures = await interleaved(calls, rounds)
    await factory.kw["bind"].dispose()
    return figures


def main(args: argparse.Namespace) -> str:
    with tempfile.TemporaryDirectory() as workdir:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(workdir) / 'records.db'}"
        upgrade(url)
        started = time.monotonic()
        counts = asyncio.run(load(url, large(datetime.now(CHINA_TZ).date())))
        print(f"loaded {counts} in {time.monotonic() - started:.0f} s")
        figures = asyncio.run(measure(url, args.rounds))
    floor = percentile(figures["floor"], 0.5)
    for name, data in figures.items():
        print(f"{summary(name, data)}  p50/floor={percentile(data, 0.5) / floor:5.1f}x")
    p99 = {name: percentile(data, 0.99) for name, data in figures.items()}
    return (
        f"records: consumers={counts['consumers']} orders={counts['inventories']} "
        f"declarations={counts['declarations']} floor_p99_ms={p99['floor']:.2f} "
        f"quota_p99_ms={p99['quota']:.2f} tax_bills_p99_ms={p99['taxes']:.2f} "
        f"tax_bill_p99_ms={p99['bill']:.2f} clearances_p99_ms={p99['orders']:.2f} "
        f"applications_p99_ms={p99['prints']:.2f} appointments_p99_ms={p99['appoint']:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty database; default: a throwaway SQLite")
    parser.add_argument("--rounds", type=int, default=300)
    print(main(parser.parse_args()))
