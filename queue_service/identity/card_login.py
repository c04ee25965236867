"""Card-media login for a conversation: challenge, proof, identity upgrade, card removal.

The page asks for a challenge, the card bridge on the user's PC has the card sign it, and the
page sends the proof back. A valid proof makes the conversation's identity the card's
enterprise, with the card in its extras (card_no, card_role), for as long as the card stays in
the reader (at most CARD_SESSION_S). When the page reports the card removed, the card identity
ends: the portal login it replaced, if still valid, comes back; otherwise the user is anonymous.

Redis layout, beside IdentityStore's `swa:hub:identity:<conversation id>`:
  swa:hub:identity-before-card:<conversation id>   the identity the card login replaced (same
                                                   encoding, same expiry)
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from redis.asyncio import Redis

from queue_service.identity import card_texts
from queue_service.identity.card_challenges import CardChallenges
from queue_service.identity.cards import (
    CardRefused,
    CardRegistry,
    Proof,
    Refusal,
    RegisteredCard,
    check,
)
from queue_service.identity.claims import Identity, Kind, Source
from queue_service.identity.service import who
from queue_service.identity.store import IdentityStore, Verified, decode_verified, identity_key

log = logging.getLogger(__name__)

# A card login is held this long at most, even with the card left in the reader.
CARD_SESSION_S = 4 * 3600
CARD_NO = "card_no"
CARD_ROLE = "card_role"


def _before_key(conversation_id: str) -> str:
    return f"swa:hub:identity-before-card:{conversation_id}"


@dataclass(frozen=True)
class CardLogin:
    verified: Verified
    card: RegisteredCard
    # What to tell the user: the welcome, then any reminders (initial PIN, expiry soon).
    texts: list[str] = field(default_factory=list)


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
    ) -> None:
        self._redis = redis
        self.store = store
        self.challenges = challenges
        self.registry = registry

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
        log.info(
            "card login",
            extra={"conversation_id": conversation_id, "card_role": card.role.value},
        )
        texts = [card_texts.welcome(card, who(identity))]
        if proof.initial_pin:
            texts.append(card_texts.INITIAL_PIN)
        if card.expires_soon(now):
            texts.append(card_texts.expires_soon(card, now))
        return CardLogin(Verified(identity, expires_at), card, texts)

    async def card_removed(self, conversation_id: str) -> Verified | None:
        """End a card identity; the conversation's identity afterwards (None: anonymous)."""
        current = await self.store.current(conversation_id)
        if current is None or current.identity.source is not Source.CARD:
            return current
        previous = await self._redis.getdel(_before_key(conversation_id))
        await self.store.log_out(conversation_id)
        if previous is not None:
            restored = decode_verified(previous)
            if restored is not None and restored.expires_at and restored.expires_at > time.time():
                await self.store.log_in(conversation_id, restored.identity, restored.expires_at)
        log.info("card removed", extra={"conversation_id": conversation_id})
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
