"""The knowledge studio's store on SQLite and PostgreSQL, side by side in one run.

What a maintainer waits for: a save (lock, read the base, validate it whole with the loader's
rules, write one version), the entry's history, and what an operator waits for: the first-start
seed (read and validate knowledge/, import) and an export. PostgreSQL needs a server at
SWA_TEST_POSTGRES_DSN (default postgresql://postgres@127.0.0.1:5432/postgres); a throwaway
database is created and dropped.

    .venv/bin/python -m bench.knowledge_store [--saves 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from actions.faq.knowledge import KNOWLEDGE_DIR
from queue_service import db
from studio.entries import Entries
from studio.exchange import ENTRY, read_folder, render_files
from studio.store import KnowledgeStore

ADMIN_DSN = os.environ.get("SWA_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def _databases() -> Iterator[dict[str, str]]:
    name = f"swa_bench_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as folder, psycopg.connect(ADMIN_DSN, autocommit=True) as a:
        a.execute(f'CREATE DATABASE "{name}"')
        base = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        try:
            yield {
                "sqlite": f"sqlite+aiosqlite:///{Path(folder) / 'kb.db'}",
                "postgresql": f"{base}/{name}",
            }
        finally:
            a.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _ms(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"


async def _measure(url: str, saves: int) -> dict[str, str]:
    engine = db.create_engine(url)
    store = KnowledgeStore(engine)
    entries = Entries(store)
    started = time.perf_counter()
    items = await asyncio.to_thread(read_folder, KNOWLEDGE_DIR)
    read_s = time.perf_counter() - started
    await store.import_items(items)
    seed_s = time.perf_counter() - started
    timings = []
    for n in range(saves):
        current = await entries.get("login_methods")
        phrasings = [*current.item.data["phrasings"][:33], f"登录方式第{n}问"]
        began = time.perf_counter()
        await entries.save("login_methods", {"phrasings": phrasings}, current.version, "bench")
        timings.append(time.perf_counter() - began)
    began = time.perf_counter()
    await store.history(ENTRY, "login_methods")
    history_s = time.perf_counter() - began
    began = time.perf_counter()
    render_files([s.item for s in await store.current()])
    export_s = time.perf_counter() - began
    await engine.dispose()
    return {
        "first-start seed (read + validate + import)": f"{seed_s:.2f} s (reading {read_s:.2f} s)",
        f"save of one entry ({saves} saves)": _ms(timings),
        f"history of an entry ({saves + 1} versions)": f"{history_s * 1000:.0f} ms",
        "export (render all files)": f"{export_s * 1000:.0f} ms",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--saves", type=int, default=30)
    args = parser.parse_args()
    with _databases() as urls:
        results = {}
        for name, url in urls.items():
            db.upgrade(url)
            results[name] = asyncio.run(_measure(url, args.saves))
    print(f"| measure | {' | '.join(results)} |")
    print(f"|---|{'---|' * len(results)}")
    for measure in results["sqlite"]:
        print(f"| {measure} | {' | '.join(r[measure] for r in results.values())} |")


if __name__ == "__main__":
    main()
