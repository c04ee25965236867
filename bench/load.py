"""Overload: 200 web chat users asking 5 questions each at once, through the hub, beside the
same load straight to Rasa, in one run (issue 16).

Three arms against one Rasa server and one action server:
  hub     the service as configured (admission control: SWA_RASA_CONCURRENCY turns in flight,
          the rest wait in line);
  ungated a second service instance on the same Rasa with admission control off (capacity far
          above the load), as the hub was before: every turn goes to Rasa at once and its
          10 s timeout runs while it waits inside Rasa;
  direct  the same message mix posted to Rasa's REST webhook by as many concurrent clients,
          with no timeout: what Rasa itself gives this load.
A turn "answered" got the bot's answer; an "apology" got 智能客服暂时无法应答. Each hub user's
questions and the first line they were shown are checked against the transcript afterwards.
Then one user's 200-turn conversation: its median turn over turns 176-200 beside turns 1-25
(Rasa's tracker is bounded: rasa_addons/tracker_store.py).

    python -m bench.load [--users 200] [--turns 5]

Starts its own Redis, action server, Rasa and services on free ports (throwaway SQLite); needs
the trained model (`make model`). The last line is machine-readable:
    load: users=200 turns=1000 apologies=0 answered=1000 p50_ms=.. p99_ms=.. ...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import time
import uuid

import httpx

from bench.chat import MESSAGES
from bench.own_stack import own_stack
from queue_service.handoff.texts import BOT_UNAVAILABLE_TEXT
from tests.support.stack import Stack
from tests.support.webchat import connect_chat


def percentile(data: list[float], q: float) -> float:
    ordered = sorted(data)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


class Arm:
    """One arm's turns: latencies of answered turns, and how many got the apology."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.latencies_ms: list[float] = []
        self.apologies = 0
        self.failures = 0
        self.busy_notices = 0
        self.seconds = 0.0
        # conversation id -> the (question, first answer) pairs the user received, in order
        self.received: dict[str, list[tuple[str, str]]] = {}

    @property
    def turns(self) -> int:
        return len(self.latencies_ms) + self.apologies + self.failures

    def line(self) -> str:
        return (
            f"{self.name:<8} turns={self.turns:>5} answered={len(self.latencies_ms):>5} "
            f"apologies={self.apologies:>4} failures={self.failures:>3} "
            f"p50_ms={percentile(self.latencies_ms, 0.5):8.1f} "
            f"p99_ms={percentile(self.latencies_ms, 0.99):8.1f} "
            f"turns_per_s={self.turns / self.seconds if self.seconds else 0:6.1f}"
        )


async def hub_user(ws_url: str, turns: int, offset: int, arm: Arm) -> None:
    async with connect_chat(ws_url) as ws:
        session = json.loads(await ws.recv())
        pairs = arm.received.setdefault(f"webchat:{session['conversation_id']}", [])
        for i in range(turns):
            question = MESSAGES[(offset + i) % len(MESSAGES)]
            started = time.perf_counter()
            await ws.send(json.dumps({"type": "message", "text": question, "ref": i}))
            while True:
                frame = json.loads(await ws.recv())
                if frame["type"] == "busy":
                    arm.busy_notices += 1
                    continue
                if frame["type"] == "messages":
                    break
                arm.failures += 1
                break
            if frame["type"] != "messages":
                continue
            answers = [m["text"] or "" for m in frame["messages"] if m["role"] != "user"]
            pairs.append((question, answers[0] if answers else ""))
            if BOT_UNAVAILABLE_TEXT in answers:
                arm.apologies += 1
            else:
                arm.latencies_ms.append((time.perf_counter() - started) * 1000)


async def direct_user(http: httpx.AsyncClient, turns: int, offset: int, arm: Arm) -> None:
    sender = f"bench-direct:{uuid.uuid4()}"
    for i in range(turns):
        started = time.perf_counter()
        try:
            response = await http.post(
                "/webhooks/rest/webhook",
                json={"sender": sender, "message": MESSAGES[(offset + i) % len(MESSAGES)]},
            )
            response.raise_for_status()
        except httpx.HTTPError:
            arm.failures += 1
            continue
        arm.latencies_ms.append((time.perf_counter() - started) * 1000)


async def run_arm(arm: Arm, users: int, turns: int, target: str) -> Arm:
    started = time.perf_counter()
    if arm.name == "direct":
        limits = httpx.Limits(max_connections=users)
        async with httpx.AsyncClient(base_url=target, timeout=None, limits=limits) as http:
            await asyncio.gather(*(direct_user(http, turns, u, arm) for u in range(users)))
    else:
        await asyncio.gather(*(hub_user(target, turns, u, arm) for u in range(users)))
    arm.seconds = time.perf_counter() - started
    return arm


def check_transcripts(stack: Stack, arm: Arm) -> int:
    """Conversations whose transcript (SQL) differs from what their user received."""
    database = stack.env["SWA_DATABASE_URL"].split("///", 1)[1]
    mismatched = 0
    with sqlite3.connect(database) as connection:
        for conversation_id, received in arm.received.items():
            rows = connection.execute(
                "SELECT role, text FROM transcript_messages WHERE conversation_id = ? ORDER BY id",
                (conversation_id,),
            ).fetchall()
            # Each question with the first line stored after it: what its user was shown first.
            stored = [
                (text, rows[i + 1][1] if i + 1 < len(rows) else None)
                for i, (role, text) in enumerate(rows)
                if role == "user"
            ]
            if stored != received:
                mismatched += 1
    return mismatched


async def long_conversation(ws_url: str, turns: int) -> tuple[float, float]:
    """One user's median turn over their first 25 turns and over their last 25."""
    arm = Arm("long")
    async with connect_chat(ws_url) as ws:
        await ws.recv()
        for i in range(turns):
            started = time.perf_counter()
            await ws.send(json.dumps({"type": "message", "text": MESSAGES[i % len(MESSAGES)]}))
            frame = json.loads(await ws.recv())
            assert frame["type"] == "messages", frame
            arm.latencies_ms.append((time.perf_counter() - started) * 1000)
    first, last = arm.latencies_ms[:25], arm.latencies_ms[-25:]
    return percentile(first, 0.5), percentile(last, 0.5)


async def measure(stack: Stack, ungated_url: str, users: int, turns: int) -> list[Arm]:
    ws = stack.ws_url
    ungated_ws = ungated_url.replace("http", "ws", 1) + "/channels/webchat/ws"
    # Warm every path: model loading and connection set-up are not measured.
    for target, name in ((ws, "warm"), (ungated_ws, "warm"), (stack.rasa_url, "direct")):
        await run_arm(Arm(name), 4, 2, target)
    hub = await run_arm(Arm("hub"), users, turns, ws)
    ungated = await run_arm(Arm("ungated"), users, turns, ungated_ws)
    direct = await run_arm(Arm("direct"), users, turns, stack.rasa_url)
    return [hub, ungated, direct]


def main(args: argparse.Namespace) -> str:
    with (
        own_stack() as stack,
        stack.extra_service("ungated", SWA_RASA_CONCURRENCY="100000") as ungated_url,
    ):
        hub, ungated, direct = asyncio.run(measure(stack, ungated_url, args.users, args.turns))
        first_ms, last_ms = asyncio.run(long_conversation(stack.ws_url, args.long))
        mismatched = check_transcripts(stack, hub)
    for arm in (hub, ungated, direct):
        print(arm.line())
    print(f"hub: busy notices={hub.busy_notices} transcripts_differing={mismatched}")
    print(
        f"long conversation: turns 1-25 p50_ms={first_ms:.0f}, "
        f"turns {args.long - 24}-{args.long} p50_ms={last_ms:.0f}"
    )
    return (
        f"load: users={args.users} turns={hub.turns} apologies={hub.apologies} "
        f"answered={len(hub.latencies_ms)} p50_ms={percentile(hub.latencies_ms, 0.5):.0f} "
        f"p99_ms={percentile(hub.latencies_ms, 0.99):.0f} "
        f"direct_p50_ms={percentile(direct.latencies_ms, 0.5):.0f} "
        f"direct_p99_ms={percentile(direct.latencies_ms, 0.99):.0f} "
        f"ungated_apologies={ungated.apologies} transcripts_differing={mismatched} "
        f"long_turn_ratio={last_ms / first_ms:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--turns", type=int, default=5, help="questions per user")
    parser.add_argument("--long", type=int, default=200, help="turns of the long conversation")
    print(main(parser.parse_args()))
