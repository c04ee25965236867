"""Several Rasa servers behind the hub (issue 21): `SWA_RASA_URLS`.

Each conversation sticks to one server, chosen by rendezvous hashing over the servers that are
up: the same server for a conversation as long as it is up (its caches stay warm), the next in
that conversation's own order when it is not, and back when it returns. Moving is safe because
the servers share Redis's tracker and lock stores (bot/endpoints.yml). A turn moves to another
server only when it never reached the first (connection refused): one that reached a server
and timed out may still be running there, so it gets the apology instead of a second, maybe
half-answered, run. A watcher asks each server's /status every `check_s` and keeps the list of
those that are up; a refused connection marks a server down at once.

A server that does not answer /status in time is not down for that: a Rasa server busy with
turns answers late (its event loop runs NLU between requests). Marked down at the first slow
answer, both servers of the benchmark (bench/chat.py --cluster) went down and back every few
seconds at 32 users, each time sending every conversation to the other one. Only
`SLOW_CHECKS_DOWN` slow answers in a row (a hung server) mark it down.

Sticking is a preference, not a rule: a turn whose server has `IMBALANCE` more turns in flight
(from this instance) than the least busy one goes to that one. Hashed alone, 32 conversations
split unevenly over two servers, and the busier server's turns made the hub's p99 1.6x that of
32 clients on one Rasa server (bench/chat.py --cluster, docs/performance.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from kernel.messages import OutboundMessage
from queue_service.rasa_client import RasaClient, RasaUnavailable, RasaUnreachable, ServerStatus

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 1.0
# Slow answers in a row that make a server down: about 3 x (check_s + CHECK_TIMEOUT_S) of silence.
SLOW_CHECKS_DOWN = 3
# Turns in flight beyond the least busy server's before a conversation's turn goes there.
IMBALANCE = 2


def _weight(sender: str, url: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{url}|{sender}".encode(), digest_size=8).digest())


class RasaPool:
    def __init__(self, clients: list[RasaClient], check_s: float = 2.0) -> None:
        if not clients:
            raise ValueError("at least one Rasa server")
        self.clients = clients
        self._down: set[str] = set()
        self._check_s = check_s
        self._slow: dict[str, int] = {}  # slow answers in a row, per server
        # Servers that answered (a turn, or /status with the model) since last marked down.
        self._answered: set[str] = set()
        self._in_flight: dict[str, int] = {c.url: 0 for c in clients}

    def ranked(self, sender: str) -> list[RasaClient]:
        """The servers in this conversation's order: those up first, each group by weight;
        the least busy server first instead when the conversation's own is far busier."""
        by_weight = sorted(self.clients, key=lambda c: _weight(sender, c.url), reverse=True)
        up = [c for c in by_weight if c.url not in self._down]
        if len(up) > 1:
            least = min(up, key=lambda c: self._in_flight[c.url])
            if self._in_flight[up[0].url] - self._in_flight[least.url] >= IMBALANCE:
                up.remove(least)
                up.insert(0, least)
        return up + [c for c in by_weight if c.url in self._down]

    def up(self) -> list[RasaClient]:
        return [c for c in self.clients if c.url not in self._down]

    async def send(
        self, sender: str, message: str, metadata: dict[str, Any] | None = None
    ) -> list[OutboundMessage]:
        unreachable: RasaUnreachable | None = None
        for client in self.ranked(sender):
            self._in_flight[client.url] += 1
            try:
                replies = await client.send(sender, message, metadata)
            except RasaUnreachable as exc:
                self._mark(client, up=False)
                unreachable = exc
                continue
            finally:
                self._in_flight[client.url] -= 1
            self._mark(client, up=True)
            return replies
        assert unreachable is not None
        raise unreachable

    async def answered_since(
        self, sender: str, message: str, since: float
    ) -> list[OutboundMessage] | None:
        """Asked of the server the conversation sticks to (its tracker is shared anyway)."""
        return await self.ranked(sender)[0].answered_since(sender, message, since)

    async def parse(self, text: str) -> dict[str, Any]:
        """`text` parsed by the first server that answers (RasaUnavailable if none does)."""
        failed: RasaUnavailable | None = None
        for client in [*self.up(), *(c for c in self.clients if c not in self.up())]:
            try:
                return await client.parse(text)
            except RasaUnavailable as exc:
                failed = exc
        assert failed is not None
        raise failed

    async def is_ready(self, timeout_s: float = 2.0) -> bool:
        """Ready when any server is: the others' conversations move to it."""
        answers = await asyncio.gather(*(c.is_ready(timeout_s) for c in self.clients))
        return any(answers)

    def serving(self) -> bool:
        """A server has answered and is not down since: readiness without asking a Rasa server
        that may be busy (a busy server is not an unready service). One that never answered,
        hung from its start, does not count."""
        return any(c.url in self._answered for c in self.up())

    async def watch(self) -> None:
        """Keep the list of servers that are up, for as long as the service runs."""
        while True:
            await self.check()
            await asyncio.sleep(self._check_s)

    async def check(self) -> None:
        """Ask every server once: up or down as it answers; a slow answer counts towards down."""
        answers = await asyncio.gather(*(c.status(CHECK_TIMEOUT_S) for c in self.clients))
        for client, status in zip(self.clients, answers, strict=True):
            slow = self._slow[client.url] = (
                self._slow.get(client.url, 0) + 1 if status is ServerStatus.SLOW else 0
            )
            if status is not ServerStatus.SLOW or slow >= SLOW_CHECKS_DOWN:
                self._mark(client, status is ServerStatus.UP)

    def _mark(self, client: RasaClient, up: bool) -> None:
        if up:
            self._answered.add(client.url)
        else:
            self._answered.discard(client.url)
        if up and client.url in self._down:
            self._down.discard(client.url)
            log.warning("rasa server back", extra={"rasa": client.url})
        elif not up and client.url not in self._down:
            self._down.add(client.url)
            log.warning("rasa server down", extra={"rasa": client.url})

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()
