"""Bot turns through the hub versus straight to Rasa, side by side in one run.

Simulated web chat users talk through the service's websocket; the same message mix goes
directly to Rasa's REST webhook. The two alternate in short rounds (hub first, then direct,
then the other way round) so that both see the same machine; the budget is stated as ratios
(DESIGN section 7): hub p50 within 10% of direct, hub throughput at least 90% of direct.

    python -m bench.chat [--service URL] [--rasa URL] [--rounds N] [--turns N]

Starts its own stack (bench/own_stack.py), whose web chat pace lets a machine through: every
simulated user sends its turns back to back, far faster than a person. With --service it runs
against a running stack instead, which must be started with that pace, e.g.

    SWA_WEBCHAT_MESSAGE_BURST=100000 SWA_WEBCHAT_MESSAGES_PER_S=100000 make run

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

from bench.own_stack import own_stack
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


@dataclass
class Sample:
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def turns_per_s(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(q * len(data)))]


async def hub_user(ws_base: str, turns: int, offset: int, out: list[float]) -> None:
    async with connect_chat(f"{ws_base}/channels/webchat/ws") as ws:
        await ws.recv()  # session frame
        for i in range(turns):
            started = time.perf_counter()
            await ws.send(json.dumps({"type": "message", "text": MESSAGES[(offset + i) % 8]}))
            while (frame := json.loads(await ws.recv()))["type"] == "busy":
                pass  # the turn waits in line for Rasa (queue_service/admission.py)
            out.append((time.perf_counter() - started) * 1000)
            assert frame["type"] == "messages", frame  # rate_limited: see the docstring


async def direct_user(http: httpx.AsyncClient, turns: int, offset: int, out: list[float]) -> None:
    sender = f"bench-direct:{uuid.uuid4()}"
    for i in range(turns):
        started = time.perf_counter()
        response = await http.post(
            "/webhooks/rest/webhook",
            json={"sender": sender, "message": MESSAGES[(offset + i) % 8], "metadata": {}},
        )
        response.raise_for_status()
        out.append((time.perf_counter() - started) * 1000)


async def run_round(mode: str, users: int, turns: int, args: argparse.Namespace) -> Sample:
    sample = Sample()
    started = time.perf_counter()
    if mode == "hub":
        ws_base = args.service.replace("http", "ws", 1)
        await asyncio.gather(
            *(hub_user(ws_base, turns, u, sample.latencies_ms) for u in range(users))
        )
    else:
        limits = httpx.Limits(max_connections=users)
        async with httpx.AsyncClient(base_url=args.rasa, timeout=60, limits=limits) as http:
            await asyncio.gather(
                *(direct_user(http, turns, u, sample.latencies_ms) for u in range(users))
            )
    sample.seconds = time.perf_counter() - started
    return sample


def merge(samples: list[Sample]) -> Sample:
    merged = Sample()
    for s in samples:
        merged.latencies_ms += s.latencies_ms
        merged.seconds += s.seconds
    return merged


async def main(args: argparse.Namespace) -> str:
    # Warm both paths so model loading and connection set-up are not measured.
    await run_round("direct", 2, 8, args)
    await run_round("hub", 2, 8, args)
    results: dict[tuple[str, int], list[Sample]] = {}
    for users in (1, 32):
        turns = args.turns if users == 1 else max(2, args.turns // 4)
        for r in range(args.rounds):
            order = ("hub", "direct") if r % 2 == 0 else ("direct", "hub")
            for mode in order:
                results.setdefault((mode, users), []).append(
                    await run_round(mode, users, turns, args)
                )
    line = ""
    for users in (1, 32):
        hub, direct = merge(results["hub", users]), merge(results["direct", users])
        for name, s in (("hub", hub), ("direct", direct)):
            print(
                f"users={users:>2} {name:<6} turns={len(s.latencies_ms):>5} "
                f"p50_ms={s.percentile(0.5):7.1f} p99_ms={s.percentile(0.99):7.1f} "
                f"mean_ms={statistics.fmean(s.latencies_ms):7.1f} turns_per_s={s.turns_per_s:6.1f}"
            )
        line = (
            f"chat: users={users} hub_p50_ms={hub.percentile(0.5):.1f} "
            f"direct_p50_ms={direct.percentile(0.5):.1f} "
            f"p50_ratio={hub.percentile(0.5) / direct.percentile(0.5):.3f} "
            f"throughput_ratio={hub.turns_per_s / direct.turns_per_s:.3f}"
        )
        if users == 1:
            print(line)
    return line


def run(args: argparse.Namespace) -> str:
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
    print(run(parser.parse_args()))
