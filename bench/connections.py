"""Idle web chat connections held by one service process, beside a bare websocket server.

DESIGN section 7: one service process holds 10,000 idle web chat connections in under 1.5 GB.
N clients open the chat socket and read their session frame (history, identity) and then stay
idle, as open chat pages do; the service's resident memory (RSS) is read before and after. The
same N connections to a bare Starlette websocket app under the same uvicorn settings, in the
same run, give the floor: what uvicorn and the websocket protocol alone cost per connection.

    python -m bench.connections [--connections 10000] [--concurrency 200]

Starts its own Redis and service (as bench/queue.py does); Rasa is not needed, since an idle
page that reloads its history never asks the bot anything. The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import psutil

from bench.queue import free_port, services, wait_until
from stack.paths import ROOT
from tests.support.webchat import connect_chat

BUDGET_MB = 1536
SETTLE_S = 3.0


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def service_pid(port: int) -> int:
    """The process listening on the port (the service was started by bench.queue.services)."""
    for connection in psutil.net_connections("tcp"):
        if connection.laddr and connection.laddr.port == port and connection.status == "LISTEN":
            return connection.pid
    raise RuntimeError(f"nothing listens on {port}")


async def hold(url: str, count: int, concurrency: int, stack: AsyncExitStack) -> float:
    """Open `count` sockets (each reads its first frame) and keep them open; seconds taken."""
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            ws = await stack.enter_async_context(
                connect_chat(url, open_timeout=60, ping_interval=None)
            )
            frame = json.loads(await ws.recv())
            assert frame["type"] == "session", frame

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    return time.perf_counter() - started


async def measure(url: str, pid: int, count: int, concurrency: int) -> tuple[float, float, float]:
    """(RSS before in MB, RSS with the connections held in MB, seconds to open them)."""
    async with AsyncExitStack() as warmup:
        await hold(url, min(50, count), concurrency, warmup)  # imports, pools, first requests
    await asyncio.sleep(SETTLE_S)
    before = rss_mb(pid)
    async with AsyncExitStack() as stack:
        seconds = await hold(url, count, concurrency, stack)
        await asyncio.sleep(SETTLE_S)
        held = rss_mb(pid)
    return before, held, seconds


def bare_server(port: int) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "uvicorn", "bench.bare_socket:app", "--host", "127.0.0.1",
        "--port", str(port), "--ws-max-size", str(64 * 1024), "--log-level", "warning",
    ]
    return subprocess.Popen(command, cwd=ROOT)


def main(args: argparse.Namespace) -> str:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.connections * 2)), hard))
    with tempfile.TemporaryDirectory() as tmp, services(Path(tmp)) as (_, _, base):
        port = int(base.rsplit(":", 1)[1])
        ws_url = base.replace("http", "ws", 1) + "/channels/webchat/ws"
        pid = service_pid(port)
        service = asyncio.run(measure(ws_url, pid, args.connections, args.concurrency))
        bare_port = free_port()
        bare = bare_server(bare_port)
        try:
            wait_until(
                lambda: httpx.get(f"http://127.0.0.1:{bare_port}/").status_code == 200,
                30,
                "bare server",
            )
            floor = asyncio.run(
                measure(
                    f"ws://127.0.0.1:{bare_port}/ws", bare.pid, args.connections, args.concurrency
                )
            )
        finally:
            bare.terminate()
            bare.wait(15)
    per_kb = (service[1] - service[0]) * 1024 / args.connections
    floor_kb = (floor[1] - floor[0]) * 1024 / args.connections
    print("server   rss_before_mb rss_held_mb per_conn_kb  open_s")
    for name, (before, held, seconds) in (("service", service), ("bare", floor)):
        per = (held - before) * 1024 / args.connections
        print(f"{name:<8} {before:13.1f} {held:11.1f} {per:11.1f} {seconds:7.1f}")
    verdict = "within" if service[1] < BUDGET_MB else "OVER"
    return (
        f"connections: n={args.connections} service_rss_mb={service[1]:.0f} "
        f"per_conn_kb={per_kb:.1f} bare_per_conn_kb={floor_kb:.1f} "
        f"ratio={per_kb / floor_kb:.2f} budget_mb={BUDGET_MB} ({verdict} budget)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=200)
    print(main(parser.parse_args()))
