"""Bot turns through the hub versus straight to Rasa, side by side in one run.

Simulated web chat users talk through the service's websocket; the same message mix goes
directly to Rasa's REST webhook. The two alternate in short rounds (hub first, then direct,
then the other way round) so that both see the same machine; the budget is stated as ratios
(DESIGN section 7): hub p50 within 10% of direct, hub throughput at least 90% of direct.

    python -m bench.chat [--service URL] [--rasa URL] [--rounds N] [--turns N]
    python -m bench.chat --cluster [--rounds N]      # make bench-cluster

Starts its own stack (bench/own_stack.py), whose web chat pace lets a machine through: every
simulated user sends its turns back to back, far faster than a person. With --service it runs
against a running stack instead, which must be started with that pace, e.g.

    SWA_WEBCHAT_MESSAGE_BURST=100000 SWA_WEBCHAT_MESSAGES_PER_S=100000 make run

--cluster (issue 21): the production profile of its own (bench/own_cluster.py: nginx, two
service instances, two Rasa servers, one action server, PostgreSQL, Redis with Sentinel); the
hub side talks through nginx to both Rasa servers, the direct side posts to one of those Rasa
servers, in the same run, at 32 and 128 users. Goal: hub throughput at least 1.6x direct, hub
p99 no worse than direct.

The last line is machine-readable.
"""

import argparse
import asyncio
import json
import statistics
import time
import uuid
from dataclasses import dataclass, field

import httpx

from bench.cpu_account import CpuAccount
from bench.own_stack import own_stack
from queue_service.handoff.texts import BOT_UNAVAILABLE_TEXT
from tests.support.webchat import connect_chat

MESSAGES = [
    "你好",
    "卡介质初始密码是多少",
    "卡被锁了怎么办",
    "客服电话多少",
    "没有国家标准版账号怎么注册",
    "今天天气怎么样",
    "谢谢",
    "怎么登录单一窗口",
]
CLUSTER_USERS = (32, 128)


@dataclass
class Sample:
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0
    # Hub turns answered with the apology (no place in line in time, Rasa failed): fast, and
    # no answer, so they are counted apart and must be 0 for the figures to mean anything.
    apologies: int = 0

    @property
    def turns_per_s(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(q * len(data)))]


async def hub_user(
    ws_base: str, turns: int, offset: int, sample: Sample, ready: asyncio.Barrier
) -> None:
    async with connect_chat(f"{ws_base}/channels/webchat/ws", open_timeout=60) as ws:
        await ws.recv()  # session frame
        await ready.wait()  # every socket open: the round's clock starts
        for i in range(turns):
            started = time.perf_counter()
            await ws.send(json.dumps({"type": "message", "text": MESSAGES[(offset + i) % 8]}))
            while (frame := json.loads(await ws.recv()))["type"] == "busy":
                pass  # the turn waits in line for Rasa (queue_service/admission.py)
            sample.latencies_ms.append((time.perf_counter() - started) * 1000)
            assert frame["type"] == "messages", frame  # rate_limited: see the docstring
            if any(m.get("text") == BOT_UNAVAILABLE_TEXT for m in frame["messages"]):
                sample.apologies += 1


async def direct_user(
    http: httpx.AsyncClient, turns: int, offset: int, sample: Sample, ready: asyncio.Barrier
) -> None:
    sender = f"bench-direct:{uuid.uuid4()}"
    await ready.wait()
    for i in range(turns):
        started = time.perf_counter()
        response = await http.post(
            "/webhooks/rest/webhook",
            json={"sender": sender, "message": MESSAGES[(offset + i) % 8], "metadata": {}},
        )
        response.raise_for_status()
        sample.latencies_ms.append((time.perf_counter() - started) * 1000)


async def run_round(mode: str, users: int, turns: int, args: argparse.Namespace) -> Sample:
    """One round of `users` users sending `turns` turns each; the clock runs from when every
    user is connected (opening 128 sockets is not a bot turn) until the last answer."""
    sample = Sample()
    started = 0.0

    def start_clock() -> None:
        nonlocal started
        started = time.perf_counter()

    ready = asyncio.Barrier(users + 1)
    if mode == "hub":
        ws_base = args.service.replace("http", "ws", 1)
        users_done = asyncio.gather(
            *(hub_user(ws_base, turns, u, sample, ready) for u in range(users))
        )
        await ready.wait()
        start_clock()
        await users_done
    else:
        # One connection per user, as separate clients would have.
        limits = httpx.Limits(max_connections=users)
        async with httpx.AsyncClient(base_url=args.rasa, timeout=120, limits=limits) as http:
            users_done = asyncio.gather(
                *(direct_user(http, turns, u, sample, ready) for u in range(users))
            )
            await ready.wait()
            start_clock()
            await users_done
    sample.seconds = time.perf_counter() - started
    return sample


def merge(samples: list[Sample]) -> Sample:
    merged = Sample()
    for s in samples:
        merged.latencies_ms += s.latencies_ms
        merged.seconds += s.seconds
        merged.apologies += s.apologies
    return merged


async def measure(args: argparse.Namespace, plan: dict[int, int]) -> dict[tuple[str, int], Sample]:
    """Each users count (with its turns per user), hub and direct alternating over the rounds;
    with args.cpu_programs (the profile's programs), the CPU each kind of process spent."""
    results: dict[tuple[str, int], list[Sample]] = {}
    accounts: dict[tuple[str, int], CpuAccount] = {}
    for users, turns in plan.items():
        for r in range(args.rounds):
            order = ("hub", "direct") if r % 2 == 0 else ("direct", "hub")
            for mode in order:
                account = accounts.setdefault((mode, users), CpuAccount(args.cpu_programs))
                if args.cpu_programs:
                    account.start()
                sample = await run_round(mode, users, turns, args)
                if args.cpu_programs:
                    account.stop(len(sample.latencies_ms))
                results.setdefault((mode, users), []).append(sample)
                print(
                    f"  round {r} users={users} {mode:<6} turns_per_s={sample.turns_per_s:6.1f} "
                    f"p99_ms={sample.percentile(0.99):7.1f}"
                    + (
                        f" rasa_cores={account.cores('rasa', sample.seconds)}"
                        if args.cpu_programs
                        else ""
                    ),
                    flush=True,
                )
    merged = {key: merge(samples) for key, samples in results.items()}
    for (mode, users), s in merged.items():
        print(
            f"users={users:>3} {mode:<6} turns={len(s.latencies_ms):>5} "
            f"p50_ms={s.percentile(0.5):7.1f} p99_ms={s.percentile(0.99):7.1f} "
            f"mean_ms={statistics.fmean(s.latencies_ms):7.1f} turns_per_s={s.turns_per_s:6.1f}"
            + (f" apologies={s.apologies}" if mode == "hub" else "")
        )
    if args.cpu_programs:
        for (mode, users), account in accounts.items():
            print(f"cpu_ms_per_turn users={users:>3} {mode:<6} {account.line()}")
    return merged


async def main(args: argparse.Namespace) -> str:
    # Warm both paths so model loading and connection set-up are not measured.
    await run_round("direct", 2, 8, args)
    await run_round("hub", 2, 8, args)
    results = await measure(args, {1: args.turns, 32: max(2, args.turns // 4)})
    line = ""
    for users in (1, 32):
        hub, direct = results["hub", users], results["direct", users]
        line = (
            f"chat: users={users} hub_p50_ms={hub.percentile(0.5):.1f} "
            f"direct_p50_ms={direct.percentile(0.5):.1f} "
            f"p50_ratio={hub.percentile(0.5) / direct.percentile(0.5):.3f} "
            f"throughput_ratio={hub.turns_per_s / direct.turns_per_s:.3f}"
        )
        if users == 1:
            print(line)
    return line


async def cluster_main(args: argparse.Namespace, rasa_servers: int) -> str:
    """Hub through nginx to `rasa_servers` Rasa servers against one Rasa server directly."""
    # Both Rasa servers warm: enough conversations that the hashing sends some to each.
    await run_round("direct", 2, 8, args)
    await run_round("hub", 8, 8, args)
    plan = {users: max(2, args.turns // (4 if users <= 32 else 8)) for users in CLUSTER_USERS}
    results = await measure(args, plan)
    lines = []
    for users in CLUSTER_USERS:
        hub, direct = results["hub", users], results["direct", users]
        hub_p99, direct_p99 = hub.percentile(0.99), direct.percentile(0.99)
        lines.append(
            f"cluster: users={users} rasa={rasa_servers} "
            f"hub_turns_per_s={hub.turns_per_s:.1f} direct_turns_per_s={direct.turns_per_s:.1f} "
            f"throughput_ratio={hub.turns_per_s / direct.turns_per_s:.3f} "
            f"hub_p99_ms={hub_p99:.1f} direct_p99_ms={direct_p99:.1f} "
            f"p99_ratio={hub_p99 / direct_p99:.3f}"
            + (f" hub_apologies={hub.apologies}" if hub.apologies else "")
        )
    print("\n".join(lines[:-1]))
    return lines[-1]


def run(args: argparse.Namespace) -> str:
    if args.cluster:
        from bench.own_cluster import own_cluster

        with own_cluster(rasa=args.rasa_servers) as cluster:
            supervisor = cluster.rpc().supervisor
            args.cpu_programs = lambda: {
                p["name"]: p["pid"] for p in supervisor.getAllProcessInfo()
            }
            args.service = cluster.url
            args.rasa = f"http://127.0.0.1:{cluster.settings.rasa_port(0)}"
            return asyncio.run(cluster_main(args, args.rasa_servers))
    args.cpu_programs = None
    if args.service:
        return asyncio.run(main(args))
    with own_stack() as stack:
        args.service, args.rasa = stack.service_url, stack.rasa_url
        return asyncio.run(main(args))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--service", help="a running stack's service (default: start one)")
    parser.add_argument("--rasa", default="http://127.0.0.1:5005", help="with --service")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--turns", type=int, default=40, help="turns per user per round (1 user)")
    parser.add_argument(
        "--cluster", action="store_true", help="the production profile: hub via nginx vs 1 Rasa"
    )
    parser.add_argument("--rasa-servers", type=int, default=2, help="with --cluster")
    print(run(parser.parse_args()))
