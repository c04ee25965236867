"""Transcript lines that could not be written when they were said, kept until they can be.

The transcript is the record of what the bot processed and what the user was shown (issue 16).
When the database fails under a turn after Rasa has answered (or while it did), failing the
turn would leave a question Rasa processed missing from the transcript, and its answer never
shown. Instead the turn's lines go to this outbox, in Redis (append-only file, shared by the
instances), the user gets the answer, and a background task (queue_service/background.py)
writes them to SQL once it answers again. While a process has lines waiting, its new lines
go to the outbox too, without trying SQL: they keep their order, and a turn pays one failing
database call, not one per line (the rows of issue 16 must get words within 2 s). Delivery is
at least once: a service instance that
dies between the write and the pop leaves the batch to be written again.

Key: ``swa:transcript-outbox``, a list of JSON batches {"conversation_id", "lines": [...]},
oldest first.
"""

from __future__ import annotations

import asyncio
import json
import logging

from redis.asyncio import Redis
from sqlalchemy.exc import SQLAlchemyError

from kernel.messages import OutboundMessage, StoredMessage
from queue_service.transcripts import TranscriptStore

log = logging.getLogger(__name__)

KEY = "swa:transcript-outbox"
DRAIN_EVERY_S = 1.0
# Lines waiting in the outbox have no transcript id yet.
UNSAVED_ID = 0


class TranscriptOutbox:
    def __init__(self, redis: Redis, transcripts: TranscriptStore) -> None:
        self._redis = redis
        self._transcripts = transcripts
        # Set when this process deferred lines; cleared once the outbox is empty again.
        self.deferring = False

    async def put(self, conversation_id: str, lines: list[OutboundMessage]) -> list[StoredMessage]:
        """Keep the lines for later; what the channel shows now (without transcript ids)."""
        batch = {
            "conversation_id": conversation_id,
            "lines": [line.model_dump(mode="json") for line in lines],
        }
        await self._redis.rpush(KEY, json.dumps(batch, ensure_ascii=False))
        self.deferring = True
        log.warning("transcript write deferred", extra={"lines": len(lines)})
        return [
            StoredMessage(id=UNSAVED_ID, conversation_id=conversation_id, **line.model_dump())
            for line in lines
        ]

    async def waiting(self) -> int:
        return int(await self._redis.llen(KEY))

    async def drain(self) -> int:
        """Write every waiting batch, oldest first; how many were written. Stops at the first
        that fails (the database is still away), leaving it first in line."""
        written = 0
        while (raw := await self._redis.lindex(KEY, 0)) is not None:
            batch = json.loads(raw)
            lines = [OutboundMessage.model_validate(line) for line in batch["lines"]]
            try:
                await self._transcripts.append(batch["conversation_id"], lines)
            except SQLAlchemyError as exc:
                log.warning("transcript outbox waits", extra={"error": type(exc).__name__})
                return written
            await self._redis.lpop(KEY)
            written += 1
        self.deferring = False
        return written

    async def run(self) -> None:
        """Drain now and then, for as long as the service runs."""
        while True:
            await self.drain()
            await asyncio.sleep(DRAIN_EVERY_S)
