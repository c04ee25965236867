"""Transcript appends on PostgreSQL: psycopg's own pool beside SQLAlchemy's async engine.

A turn appends twice (the user's line, then the replies), so the CPU of an append is paid twice
a turn by every service instance, on cores the Rasa servers need (issue 21). Both paths run the
same INSERT … RETURNING in autocommit through `TranscriptStore.append` (masking and rows
included) against one PostgreSQL of the benchmark's own, in alternating rounds in one run;
`pooled_appends=False` is the path every append took before. CPU is this process's own
(time.process_time), per append, at 32 appends in flight.

    python -m bench.transcript_appends [--rounds 4] [--appends 1000]

The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from bench.own_postgres import own_postgres
from kernel.messages import OutboundMessage, Role
from queue_service import db
from queue_service.transcripts import TranscriptStore

IN_FLIGHT = 32
LINE = OutboundMessage(role=Role.USER, text="卡介质密码忘了怎么办，我试了好几次都不对")


async def _round(url: str, pooled: bool, appends: int) -> tuple[float, float]:
    """CPU and wall milliseconds an append."""
    engine = db.create_engine(url, timeout_s=5.0)
    store = TranscriptStore(db.session_factory(engine), 5.0, pooled_appends=pooled)
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def one(n: int) -> None:
        async with slots:
            await store.append(f"webchat:bench-{n % 64}", [LINE])

    try:
        await asyncio.gather(*(one(n) for n in range(IN_FLIGHT)))  # connections opened
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(appends)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await store.close()
        await engine.dispose()
    return cpu / appends * 1000, wall / appends * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--appends", type=int, default=1000)
    args = parser.parse_args()
    sides = {"sqlalchemy": False, "psycopg_pool": True}
    cpu: dict[str, list[float]] = {side: [] for side in sides}
    wall: dict[str, list[float]] = {side: [] for side in sides}
    with own_postgres() as url:
        db.upgrade(url)
        for number in range(args.rounds):
            order = list(sides) if number % 2 == 0 else list(reversed(sides))
            for side in order:
                c, w = asyncio.run(_round(url, sides[side], args.appends))
                cpu[side].append(c)
                wall[side].append(w)
                print(f"  round {number} {side:12} cpu_ms={c:.3f} wall_ms={w:.3f}", flush=True)
    median = {side: statistics.median(values) for side, values in cpu.items()}
    walls = {side: statistics.median(values) for side, values in wall.items()}
    print(
        f"transcript_appends: in_flight={IN_FLIGHT} "
        f"sqlalchemy_cpu_ms={median['sqlalchemy']:.3f} "
        f"psycopg_pool_cpu_ms={median['psycopg_pool']:.3f} "
        f"cpu_ratio={median['sqlalchemy'] / median['psycopg_pool']:.2f} "
        f"sqlalchemy_wall_ms={walls['sqlalchemy']:.3f} "
        f"psycopg_pool_wall_ms={walls['psycopg_pool']:.3f}"
    )


if __name__ == "__main__":
    main()
