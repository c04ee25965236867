"""Card-media login for a conversation: challenge, proof, identity upgrade, card removal.

The page asks for a challenge, the card bridge on the user's PC has the card sign it, and the
page sends the proof back. A valid proof makes the conversation's identity the card's
enterprise, with the card in its extras (card_no, card_role), for as long as the card stays in
the reader (at most CARD_SESSION_S). When the page reports the card removed, the card identity
ends: the portal login it replaced, if still valid, comes back; otherwise the user is anonymous.

A card locked or revoked at the card centre ends its live sessions the same way, two ways:
- at once: card_admin's lock and revoke call `card_disabled`, which ends every conversation in
  the card's session index (card_sessions.py) and tells each open web chat over the bus;
- within STATUS_CHECK_S: a turn that carries a card identity to the bot re-reads the card's
  status (`still_valid`) when the last look is older than that, so a status changed in SQL by
  other means (or a lock whose Redis step failed) takes effect too. Only an active status is
  remembered: an unlocked card logs in again at once.

The page learns of an ended session from an "identity" event on the user's bus topic:
  {"type": "identity", "verified": <IdentityStore encoding> | null, "notices": ["<Chinese>"]}
which the web chat turns into its identity frame.

Redis layout, beside IdentityStore's `swa:hub:identity:<conversation id>`:
  swa:hub:identity-before-card:<conversation id>   the identity the card login replaced (same
                                                   encoding, same expiry)
  swa:hub:card-sessions:<card number>              the card's live sessions (card_sessions.py)
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from redis.asyncio import Redis

from kernel.claims import Identity, Kind, Source
from queue_service.bus import Bus
from queue_service.identity import card_texts
from queue_service.identity.card_challenges import CardChallenges
from queue_service.identity.card_sessions import CardSessions
from queue_service.identity.cards import (
    CardRefused,
    CardRegistry,
    CardStatus,
    Proof,
    Refusal,
    RegisteredCard,
    check,
)
from queue_service.identity.store import (
    IdentityStore,
    Verified,
    decode_verified,
    encode_verified,
    identity_key,
)
from queue_service.topics import user_topic

log = logging.getLogger(__name__)

# A card login is held this long at most, even with the card left in the reader.
CARD_SESSION_S = 4 * 3600
# A card identity used for a turn has its status re-read from SQL when the last look is older.
STATUS_CHECK_S = 30.0
CARD_NO = "card_no"
CARD_ROLE = "card_role"
IDENTITY_EVENT = "identity"


def _before_key(conversation_id: str) -> str:
    return f"swa:hub:identity-before-card:{conversation_id}"


@dataclass(frozen=True)
class CardLogin:
    verified: Verified
    card: RegisteredCard
    # What to tell the user: the welcome, then any reminders (initial PIN, expiry soon).
    texts: list[str] = field(default_factory=list)


def card_number_of(verified: Verified | None) -> str | None:
    """The card a verified identity comes from; None when it is not a card login."""
    if verified is None or verified.identity.source is not Source.CARD:
        return None
    return verified.identity.extras.get(CARD_NO)


def card_identity(card: RegisteredCard) -> Identity:
    return Identity(
        kind=Kind.ENTERPRISE,
        subject=card.subject,
        name=card.holder_name,
        source=Source.CARD,
        enterprise_name=card.enterprise_name,
        extras={CARD_NO: card.card_number, CARD_ROLE: card.role.value},
    )


class CardDesk:
    def __init__(
        self,
        redis: Redis,
        store: IdentityStore,
        challenges: CardChallenges,
        registry: CardRegistry,
        bus: Bus | None = None,
        status_check_s: float = STATUS_CHECK_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = redis
        self.store = store
        self.challenges = challenges
        self.registry = registry
        self.sessions = CardSessions(redis)
        # Where ended sessions are told (None: nobody listens, e.g. a test without a bus).
        self._bus = bus
        self._status_check_s = status_check_s
        self._clock = clock
        # Card number -> when (clock) it was last seen active; in this process only.
        self._seen_active: dict[str, float] = {}

    async def challenge(self, conversation_id: str) -> str:
        return await self.challenges.issue(conversation_id)

    async def log_in(
        self, conversation_id: str, raw_proof: object, now: dt.datetime | None = None
    ) -> CardLogin:
        """Check the proof and upgrade the conversation; raises CardRefused with the reason.

        A refused proof leaves the conversation's identity as it was: the user may simply have
        inserted the wrong card.
        """
        now = now or dt.datetime.now(dt.UTC)
        try:
            proof = Proof.parse(raw_proof)
            if not await self.challenges.consume(proof.challenge, conversation_id):
                raise CardRefused(Refusal.BAD_CHALLENGE)
            card = check(await self.registry.get(proof.card_number), proof, now)
        except CardRefused as exc:
            log.info(
                "card login refused",
                extra={"conversation_id": conversation_id, "reason": exc.reason.value},
            )
            raise
        identity = card_identity(card)
        expires_at = min(int(now.timestamp()) + CARD_SESSION_S, int(card.expires_at.timestamp()))
        await self._remember_previous(conversation_id)
        await self.store.log_in(conversation_id, identity, expires_at)
        await self.sessions.add(card.card_number, conversation_id, expires_at)
        self._seen_active[card.card_number] = self._clock()
        log.info(
            "card login",
            extra={"conversation_id": conversation_id, "card_role": card.role.value},
        )
        texts = [card_texts.welcome(card, identity.addressed_as)]
        if proof.initial_pin:
            texts.append(card_texts.INITIAL_PIN)
        if card.expires_soon(now):
            texts.append(card_texts.expires_soon(card, now))
        return CardLogin(Verified(identity, expires_at), card, texts)

    async def card_removed(self, conversation_id: str) -> Verified | None:
        """End a card identity; the conversation's identity afterwards (None: anonymous)."""
        current = await self.store.current(conversation_id)
        if card_number_of(current) is None:
            return current
        after = await self._end(conversation_id)
        log.info("card removed", extra={"conversation_id": conversation_id})
        return after

    async def card_disabled(self, card_number: str, status: CardStatus) -> int:
        """End every live session of a card just locked or revoked; how many there were.

        Each conversation gets back what the card login replaced (as on removal), and its open
        web chat is told.
        """
        self._seen_active.pop(card_number, None)
        ended = 0
        for conversation_id in await self.sessions.conversations(card_number):
            if await self._end_card_session(conversation_id, card_number, status):
                ended += 1
        await self.sessions.forget(card_number)
        return ended

    async def still_valid(self, conversation_id: str, verified: Verified) -> Verified | None:
        """The identity to use for a turn: a card identity whose card is no longer active ends
        here (the second line behind `card_disabled`); anything else is returned as it is."""
        number = card_number_of(verified)
        if number is None:
            return verified
        seen = self._seen_active.get(number)
        if seen is not None and self._clock() - seen < self._status_check_s:
            return verified
        card = await self.registry.get(number)
        if card is not None and card.status is CardStatus.ACTIVE:
            self._seen_active[number] = self._clock()
            return verified
        self._seen_active.pop(number, None)
        status = card.status if card is not None else CardStatus.REVOKED
        await self._end_card_session(conversation_id, number, status)
        return await self.store.current(conversation_id)

    async def _end_card_session(
        self, conversation_id: str, card_number: str, status: CardStatus
    ) -> bool:
        """End the conversation's login with this card, if it still has one, and tell its page."""
        if card_number_of(await self.store.current(conversation_id)) != card_number:
            return False  # logged out, or moved on to another card or a portal login since
        after = await self._end(conversation_id)
        log.warning(
            "card session ended", extra={"conversation_id": conversation_id, "status": status.value}
        )
        if self._bus is not None:
            event = {
                "type": IDENTITY_EVENT,
                "verified": encode_verified(after) if after is not None else None,
                "notices": [card_texts.disabled(status, card_number)],
            }
            await self._bus.publish(user_topic(conversation_id), event)
        return True

    async def _end(self, conversation_id: str) -> Verified | None:
        """Drop the card identity; the portal login it replaced comes back if still valid."""
        previous = await self._redis.getdel(_before_key(conversation_id))
        await self.store.log_out(conversation_id)
        if previous is not None:
            restored = decode_verified(previous)
            if restored is not None and restored.expires_at and restored.expires_at > time.time():
                await self.store.log_in(conversation_id, restored.identity, restored.expires_at)
        return await self.store.current(conversation_id)

    async def _remember_previous(self, conversation_id: str) -> None:
        """Keep a portal login that the card login replaces, to return to it on removal."""
        key = identity_key(conversation_id)
        raw = await self._redis.get(key)
        ttl = await self._redis.ttl(key)
        current = decode_verified(raw) if raw else None
        if current is not None and current.identity.source is Source.CARD:
            return  # one card's login replaced by another's: the login before both still holds
        if current is None or ttl <= 0:
            await self.forget(conversation_id)  # nothing to return to, whatever was kept before
            return
        await self._redis.set(_before_key(conversation_id), raw, ex=ttl)

    async def forget(self, conversation_id: str) -> None:
        """Drop the login kept for after the card: the user logged out, or in anew."""
        await self._redis.delete(_before_key(conversation_id))
