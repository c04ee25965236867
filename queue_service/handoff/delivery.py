"""Lines for a user outside any turn of theirs: a ticket's answer and its status.

The lines go to the transcript first, whatever happens next: a reloaded page shows them, and
WeChat keeps what its quota refuses for the user's next message (integrations/wechat/outbox.py).
Then they are shown where the user is: an open web chat socket hears the user's bus topic from
any process; a WeChat or Telegram user has no socket, and a relay follows them only while they
wait for or talk to a person (integrations/relay.py: the bus reaches them then). Anyone else is
reached by their channel's sender, which the composition root registers, since this package
does not know the channels. A relay may still be listening for a few seconds after the user's
chat ended: the event then says the sender has the lines (SENT_BY_CHANNEL), so the relay does
not send them a second time.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from redis.exceptions import RedisError

from kernel.conversation_ids import channel_of
from kernel.messages import OutboundMessage, StoredMessage
from queue_service.bus import Bus
from queue_service.handoff.queue import HandoffQueue
from queue_service.topics import SENT_BY_CHANNEL, user_topic
from queue_service.transcripts import TranscriptStore

log = logging.getLogger(__name__)

# A channel's sender: (conversation id, lines) -> whether they were sent now (False: kept for
# the user's next message); raises when the channel refused them.
Send = Callable[[str, list[StoredMessage]], Awaitable[bool]]


class Delivery:
    def __init__(self, transcripts: TranscriptStore, bus: Bus, queue: HandoffQueue) -> None:
        self._transcripts = transcripts
        self._bus = bus
        self._queue = queue
        self._senders: dict[str, Send] = {}

    def register(self, channel: str, send: Send) -> None:
        self._senders[channel] = send

    async def to_user(
        self, conversation_id: str, messages: list[OutboundMessage]
    ) -> tuple[list[StoredMessage], bool]:
        """The lines as stored, and whether the user's channel took them now (False: they wait
        in the transcript, or in WeChat's outbox, for the user to come back)."""
        stored = await self._transcripts.append(conversation_id, messages)
        send = self._senders.get(channel_of(conversation_id))
        try:
            # Web chat's socket, or the relay following a user who waits for or talks to a
            # person, shows them from the bus; the channel's sender reaches anyone else.
            direct = send is not None and not await self._handed_over(conversation_id)
        except RedisError as exc:
            log.warning("user lines not sent", extra={"error": type(exc).__name__})
            return stored, False
        event = {"type": "messages", "messages": [m.model_dump(mode="json") for m in stored]}
        if direct:
            event[SENT_BY_CHANNEL] = True
        try:
            await self._bus.publish(user_topic(conversation_id), event)
        except RedisError as exc:
            log.warning("user lines not published", extra={"error": str(exc)})
        if send is None or not direct:
            return stored, True  # the socket or the relay shows them, the history keeps them
        try:
            sent = await send(conversation_id, stored)
        except Exception as exc:  # a channel's client raises its own errors; all mean "not now"
            log.warning(
                "user lines not sent",
                extra={"conversation_id": conversation_id, "error": type(exc).__name__},
            )
            return stored, False
        return stored, sent

    async def _handed_over(self, conversation_id: str) -> bool:
        return (await self._queue.read(conversation_id)).phase.handed_over
