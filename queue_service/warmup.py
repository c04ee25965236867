"""A warm start: the service is ready only once one bot turn has gone all the way through.

Right after the stack starts, Rasa's first turns pay for cold caches (the NLU pipeline, the
policies, the action server's first connection): issue 17 measured 2-7 s and a timeout for the
first users. So each service instance, when it starts, asks the bot once itself (a greeting,
through NLU, the policies and an action) and `/readyz` says "warming up" until that turn has
come back with an answer: a load balancer sends no user before.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

from kernel import payloads
from queue_service.rasa_client import RasaUnavailable
from queue_service.rasa_pool import RasaPool

log = logging.getLogger(__name__)

RETRY_S = 1.0
# Its own sender, so no user's conversation is touched; the tracker expires as any other.
SENDER_PREFIX = "warmup:"


class Warmup:
    """Warms every Rasa server of the pool once; done once each server that is up has answered
    (a server that is down is warmed when it comes back, before it is done)."""

    def __init__(self, rasa: RasaPool) -> None:
        self._rasa = rasa
        self._warm: set[str] = set()

    @property
    def done(self) -> bool:
        return all(client.url in self._warm for client in self._rasa.up()) and bool(self._warm)

    async def run(self) -> None:
        """Ask each server until it answers once, then stop."""
        sender = SENDER_PREFIX + secrets.token_hex(8)
        while len(self._warm) < len(self._rasa.clients):
            for client in self._rasa.clients:
                if client.url in self._warm:
                    continue
                try:
                    if await client.send(sender, payloads.GREET):
                        self._warm.add(client.url)
                        log.info("warm-up turn answered", extra={"rasa": client.url})
                except RasaUnavailable as exc:
                    log.debug("warm-up turn not answered yet", extra={"error": str(exc)})
            if len(self._warm) < len(self._rasa.clients):
                await asyncio.sleep(RETRY_S)
