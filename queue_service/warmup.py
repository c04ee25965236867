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
from queue_service.rasa_client import RasaClient, RasaUnavailable

log = logging.getLogger(__name__)

RETRY_S = 1.0
# Its own sender, so no user's conversation is touched; the tracker expires as any other.
SENDER_PREFIX = "warmup:"


class Warmup:
    def __init__(self, rasa: RasaClient) -> None:
        self._rasa = rasa
        self.done = False

    async def run(self) -> None:
        """Ask the bot until it answers once, then stop."""
        sender = SENDER_PREFIX + secrets.token_hex(8)
        while not self.done:
            try:
                self.done = bool(await self._rasa.send(sender, payloads.GREET))
            except RasaUnavailable as exc:
                log.info("warm-up turn not answered yet", extra={"error": str(exc)})
            if not self.done:
                await asyncio.sleep(RETRY_S)
        log.info("warm-up turn answered: ready")
