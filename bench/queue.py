"""The handoff queue under load, each figure beside its floor measured in the same run.

With 1,000 users waiting across the skills and 50 agents online: enqueue and assignment latency
(the Lua scripts), beside a Redis PING on the same connection (the floor any Redis operation
pays). Then an agent's reply through the
console API until it arrives on the user's web chat websocket (HTTP, the SQL transcript write,
Redis pub/sub, the socket), beside a plain HTTP request to the same service (/healthz). The
budgets (DESIGN section 7): enqueue and assignment p99 under 10 ms, agent message to the user's
websocket p99 under 20 ms on loopback.

    python -m bench.queue [--waiting 1000] [--agents 50] [--messages 500]

Starts its own Redis and service on free ports with a throwaway SQLite database; Rasa is not
needed. The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import redis.asyncio as aioredis

from kernel.skills import Skill
from queue_service import db
from queue_service.agents.accounts import AccountStore
from queue_service.handoff.queue import AgentStatus, HandoffQueue
from stack import processes, redis_server
from stack.paths import ROOT
from tests.support.webchat import connect_chat

PASSWORD = "bench password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(data: list[float], q: float) -> float:
    ordered = sorted(data)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(name: str, data: list[float]) -> str:
    p50, p99 = percentile(data, 0.5), percentile(data, 0.99)
    return f"{name:<8} n={len(data):>5} p50_ms={p50:6.2f} p99_ms={p99:6.2f}"


async def timed(call) -> float:
    started = time.perf_counter()
    await call
    return (time.perf_counter() - started) * 1000


def wait_until(check, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, httpx.HTTPError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start within {timeout_s} s")


@contextmanager
def services(workdir: Path) -> Iterator[tuple[str, str, str]]:
    """Redis and one service process (redis URL, database URL, service URL), then stopped."""
    redis_port, service_port = free_port(), free_port()
    (workdir / "redis").mkdir()
    redis_cmd = redis_server.command(redis_port, workdir / "redis")
    bundled = redis_server.bundled_binary()
    if bundled.exists():
        redis_cmd[0] = str(bundled)
    database_url = f"sqlite+aiosqlite:///{workdir / 'swa.db'}"
    db.upgrade(database_url)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    ports = processes.Ports(
        redis=redis_port, rasa=free_port(), actions=free_port(), service=service_port
    )
    env = processes.environment(redis_url, ports, "bench-token", database_url)
    env["SWA_DEMO_MODE"] = "true"  # a throwaway stack on loopback, with the demo secrets
    env["SWA_SERVICE_HOURS"] = "mon-sun 00:00-24:00"
    env["SWA_LOG_LEVEL"] = "WARNING"
    # Every simulated page comes from 127.0.0.1: no cap on sockets per address here.
    env["SWA_WEBCHAT_MAX_CONNECTIONS_PER_IP"] = "1000000"
    base = f"http://127.0.0.1:{service_port}"
    with (workdir / "service.log").open("ab") as log:
        procs = [subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL)]
        procs.append(
            subprocess.Popen(
                processes.service_command(ports, host="127.0.0.1"),
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        try:
            wait_until(lambda: httpx.get(f"{base}/healthz").status_code == 200, 30, "service")
            yield redis_url, database_url, base
        finally:
            for process in reversed(procs):
                process.terminate()
                process.wait(15)


async def queue_figures(redis: aioredis.Redis, waiting: int, agents: int) -> dict[str, list[float]]:
    """Users spread over the skills' queues; agents serving every skill."""
    queue = HandoffQueue(redis)
    skills = list(Skill)
    ping, enqueue, assign = [], [], []
    for i in range(waiting):
        ping.append(await timed(redis.ping()))
        enqueue.append(await timed(queue.enqueue(f"bench:{i}", skills[i % len(skills)])))
    for a in range(agents):
        await queue.register_agent(f"bench-agent-{a}", skills, capacity=20)
        await queue.set_status(f"bench-agent-{a}", AgentStatus.ONLINE)
        await queue.touch_presence(f"bench-agent-{a}", 600)
    # Keep 1,000 waiting while assigning: one newcomer per assignment.
    for i in range(min(waiting, agents * 20)):
        skill = skills[i % len(skills)]
        await queue.enqueue(f"bench:more:{i}", skill)
        ping.append(await timed(redis.ping()))
        assign.append(await timed(queue.assign_next(skill)))
    return {"ping": ping, "enqueue": enqueue, "assign": assign}


async def delivery_figures(
    base: str, database_url: str, redis: aioredis.Redis, messages: int
) -> dict[str, list[float]]:
    engine = db.create_engine(database_url)
    username = f"bench{uuid.uuid4().hex[:6]}"
    await AccountStore(db.session_factory(engine)).create(
        username, "客服压测", PASSWORD, skills=[Skill.OTHER], capacity=20
    )
    await engine.dispose()
    http_ms, deliver_ms = [], []
    ws_base = base.replace("http", "ws", 1)
    async with (
        httpx.AsyncClient(base_url=base, timeout=10) as http,
        connect_chat(f"{ws_base}/channels/webchat/ws") as ws,
    ):
        session = json.loads(await ws.recv())
        conversation_id = f"webchat:{session['conversation_id']}"
        login = await http.post(
            "/console/api/login", json={"username": username, "password": PASSWORD}
        )
        login.raise_for_status()
        queue = HandoffQueue(redis)
        await queue.touch_presence(username, 600)
        await queue.enqueue(conversation_id, Skill.OTHER)
        await queue.set_status(username, AgentStatus.ONLINE)
        (
            await http.post("/console/api/chats/claim", json={"conversation_id": conversation_id})
        ).raise_for_status()
        json.loads(await ws.recv())  # the agent's greeting
        for i in range(messages):
            http_ms.append(await timed(http.get("/healthz")))
            started = time.perf_counter()
            reply = await http.post(
                "/console/api/chats/reply",
                json={"conversation_id": conversation_id, "text": f"测试消息 {i}"},
            )
            reply.raise_for_status()
            frame = json.loads(await ws.recv())
            deliver_ms.append((time.perf_counter() - started) * 1000)
            assert frame["messages"][0]["text"] == f"测试消息 {i}", frame
    return {"http": http_ms, "deliver": deliver_ms}


async def measure(
    args: argparse.Namespace, redis_url: str, database_url: str, base: str
) -> dict[str, list[float]]:
    redis = aioredis.from_url(redis_url, decode_responses=True)
    try:
        figures = await queue_figures(redis, args.waiting, args.agents)
        return figures | await delivery_figures(base, database_url, redis, args.messages)
    finally:
        await redis.aclose()


def main(args: argparse.Namespace) -> str:
    with (
        tempfile.TemporaryDirectory(prefix="swa-bench-queue-") as tmp,
        services(Path(tmp)) as (redis_url, database_url, base),
    ):
        figures = asyncio.run(measure(args, redis_url, database_url, base))
    for name, data in figures.items():
        print(summary(name, data))
    p99 = {name: percentile(data, 0.99) for name, data in figures.items()}
    return (
        f"queue: waiting={args.waiting} enqueue_p99_ms={p99['enqueue']:.2f} "
        f"assign_p99_ms={p99['assign']:.2f} ping_p99_ms={p99['ping']:.2f} "
        f"deliver_p99_ms={p99['deliver']:.2f} http_p99_ms={p99['http']:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--waiting", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--messages", type=int, default=500)
    print(main(parser.parse_args()))
