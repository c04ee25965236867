"""What a channel may ask of the service: its one door in.

A channel (the web chat, WeChat, Telegram, and the relay that follows their users while a person
serves them) translates its protocol to kernel messages and back. Everything else it needs is
here, and nothing more: a turn, the greeting of a new conversation, typing notices, the
transcript, the user's events on the bus, whether a person is involved, the user's identity
(portal and card logins), and the images of a human chat. The hub, the queue, the transcript
store and the identity desk stay behind it: they can change without any channel noticing, and
no channel can reach past them.
Built once by the composition root (queue_service/app.py) and given to the channels.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from kernel.claims import Source
from kernel.conversation_ids import channel_of
from kernel.messages import InboundMessage, OutboundMessage, Role, StoredMessage
from kernel.skills import Skill
from queue_service.admission import Notice
from queue_service.bus import Bus, Event
from queue_service.handoff.phases import Phase
from queue_service.handoff.queue import HandoffQueue
from queue_service.hub import Hub
from queue_service.identity.card_login import CardDesk, CardLogin
from queue_service.identity.service import Identities
from queue_service.identity.store import Verified
from queue_service.images.upload import Images
from queue_service.topics import SENT_BY_CHANNEL as SENT_BY_CHANNEL  # for the relay
from queue_service.topics import user_topic
from queue_service.transcripts import TranscriptStore

log = logging.getLogger(__name__)


class CardLoginOff(Exception):
    """Card-media login is not set up in this service."""


@dataclass(frozen=True)
class CardChallenge:
    challenge: str
    expires_in: int  # seconds


@dataclass(frozen=True)
class CardRemoved:
    verified: Verified | None  # who the conversation is now (None: anonymous)
    ended: bool  # whether a card login ended (else there was none to end)


class ChannelPort:
    def __init__(
        self,
        hub: Hub,
        transcripts: TranscriptStore,
        identities: Identities,
        bus: Bus,
        queue: HandoffQueue,
        images: Images,
    ) -> None:
        # Images in a human chat: the checks every image passes, and the store that keeps them
        # (queue_service/images/); channels check, keep and read images through it.
        self.images = images
        self._hub = hub
        self._transcripts = transcripts
        self._identities = identities
        self._bus = bus
        self._queue = queue

    # Turns.

    async def handle(
        self, inbound: InboundMessage, on_wait: Notice | None = None
    ) -> list[StoredMessage]:
        """The answer to a user's message (already in the transcript, as is the message).
        `on_wait` is called once if the bot's turn waits in line (the service is busy), so the
        channel can tell the user an answer is coming."""
        return await self._hub.handle(inbound, on_wait)

    async def start(self, conversation_id: str) -> list[StoredMessage]:
        """A new conversation's greeting and menu, before the user has typed anything."""
        return await self._hub.start(conversation_id)

    async def typing(self, conversation_id: str, on: bool) -> None:
        """The user is typing (their agent sees it); never fails."""
        await self._hub.typing(conversation_id, on)

    # What the user is shown besides a turn's answer.

    async def history(self, conversation_id: str, limit: int) -> list[StoredMessage]:
        """The conversation's last `limit` lines, oldest first."""
        return await self._transcripts.history(conversation_id, limit)

    def events(self, conversation_id: str) -> AbstractAsyncContextManager[asyncio.Queue[Event]]:
        """The user's events from any process while the block runs: an agent's lines, queue
        updates, the agent typing, an identity ended elsewhere (queue_service/bus.py)."""
        return self._bus.listen(user_topic(conversation_id))

    async def keep_notices(self, conversation_id: str, notices: list[str]) -> None:
        """Notices the channel showed, kept in the transcript too: a reloaded page shows them
        again, and the agent reading the history sees them. A failure is only logged."""
        if not notices:
            return
        lines = [OutboundMessage(role=Role.SYSTEM, text=text) for text in notices]
        try:
            await self._transcripts.append(conversation_id, lines)
        except SQLAlchemyError as exc:
            log.warning("notices not kept", extra={"error": type(exc).__name__})

    async def with_person(self, conversation_id: str) -> bool:
        """Whether the user waits for a person or is served by one: their lines then come as
        events, not as a turn's answer."""
        return (await self._queue.read(conversation_id)).phase.handed_over

    async def with_agent(self, conversation_id: str) -> bool:
        """Whether a person serves the user now: the only time the user may send images."""
        return (await self._queue.read(conversation_id)).phase is Phase.WITH_AGENT

    async def image_from_user(self, conversation_id: str, image: str) -> None:
        """An image the user sent (already kept: its reference), said to their agent as any
        line is: to the transcript, and on to the agent's consoles."""
        inbound = InboundMessage(conversation_id=conversation_id, text="", image=image)
        await self._hub.handle(inbound)

    async def with_person_on(self, channel: str) -> set[str]:
        """The channel's users who wait for a person or are served by one."""
        ids: set[str] = set()
        for skill in Skill:
            ids.update(member for member, _ in await self._queue.waiting(skill))
        for agent in await self._queue.agent_ids():
            ids.update(await self._queue.chats_of(agent))
        return {i for i in ids if channel_of(i) == channel}

    # Identity: the host portal's login, and card-media logins.

    async def verified_as(self, conversation_id: str) -> Verified | None:
        """Who the conversation is verified as; None for an anonymous user."""
        return await self._identities.current(conversation_id)

    async def log_in(self, conversation_id: str, token: object) -> Verified:
        """Log in with a portal token; raises PortalTokenError (the user is then anonymous)."""
        return await self._identities.log_in(conversation_id, token)

    async def log_out(self, conversation_id: str) -> None:
        await self._identities.log_out(conversation_id)

    def _cards(self) -> CardDesk:
        if self._identities.cards is None:
            raise CardLoginOff
        return self._identities.cards

    async def card_challenge(self, conversation_id: str) -> CardChallenge:
        """A challenge for the card to sign; raises TooManyChallenges, CardLoginOff."""
        cards = self._cards()
        return CardChallenge(await cards.challenge(conversation_id), cards.challenges.ttl_s)

    async def card_proof(self, conversation_id: str, proof: object) -> CardLogin:
        """Log in with the card's proof; raises CardRefused (with the reason), CardLoginOff."""
        return await self._cards().log_in(conversation_id, proof)

    async def card_removed(self, conversation_id: str) -> CardRemoved:
        """The card was taken out: a card login ends, the identity before it comes back."""
        cards = self._cards()
        before = await cards.store.current(conversation_id)
        after = await cards.card_removed(conversation_id)
        ended = before is not None and before.identity.source is Source.CARD
        return CardRemoved(after, ended)
