"""Registered e-port cards and the check of a card's proof against its registration.

A proof (from the card bridge on the user's PC) is a card number, the card's certificate, the
challenge and the card's signature over it. It is accepted only when the card is registered and
active, not expired, the certificate carries the registered key, and the signature verifies with
that key over this challenge. The registration decides: a certificate alone proves nothing, since
anyone can make one.

Signatures are SM2 over SM3, or ECDSA P-256 over SHA-256 for cards registered before SM2: the
registration says which (card_keys.py; docs/architecture.md, Decisions).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from kernel.card_protocol import signed_message, valid_challenge
from queue_service.db import EportCard, as_utc
from queue_service.identity.card_keys import CardKey, KeyType

# A certificate this close to its expiry gets a reminder to extend it (the e-port's own rule).
EXPIRY_WARNING = dt.timedelta(days=60)
MAX_CERTIFICATE_BYTES = 8192
MAX_SIGNATURE_BYTES = 80


class CardRole(StrEnum):
    LEGAL = "legal"  # 法人卡: represents the enterprise
    OPERATOR = "operator"  # 操作员卡: registered and authorised by the 法人卡

    @property
    def label(self) -> str:
        return "法人卡" if self is CardRole.LEGAL else "操作员卡"


class CardStatus(StrEnum):
    ACTIVE = "active"
    LOCKED = "locked"  # locked at the card centre (e.g. reported lost, or 5 wrong PINs)
    REVOKED = "revoked"  # cancelled, replaced or voided


class Refusal(StrEnum):
    MALFORMED = "malformed"  # not a proof at all (a signature that is not DER, too)
    BAD_CHALLENGE = "bad_challenge"  # unknown, used, expired, or another conversation's
    UNREGISTERED = "unregistered"
    REVOKED = "revoked"
    LOCKED = "locked"
    EXPIRED = "expired"
    WRONG_KEY = "wrong_key"  # the certificate's key is not the registered one, or not a key
    BAD_SIGNATURE = "bad_signature"  # not this card's over this challenge (r, s out of range too)


class CardRefused(Exception):
    def __init__(self, reason: Refusal, card: RegisteredCard | None = None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.card = card


@dataclass(frozen=True)
class RegisteredCard:
    card_number: str
    subject: str
    enterprise_name: str
    holder_name: str
    role: CardRole
    public_key_pem: str
    key_type: KeyType
    status: CardStatus
    expires_at: dt.datetime

    @classmethod
    def from_row(cls, row: EportCard) -> RegisteredCard:
        return cls(
            card_number=row.card_number,
            subject=row.subject,
            enterprise_name=row.enterprise_name,
            holder_name=row.holder_name,
            role=CardRole(row.role),
            public_key_pem=row.public_key,
            key_type=KeyType(row.key_type),
            status=CardStatus(row.status),
            expires_at=as_utc(row.expires_at),
        )

    def expires_soon(self, now: dt.datetime) -> bool:
        return now < self.expires_at <= now + EXPIRY_WARNING


@dataclass(frozen=True)
class Proof:
    card_number: str
    certificate: x509.Certificate
    challenge: str
    signature: bytes
    initial_pin: bool

    @classmethod
    def parse(cls, raw: object) -> Proof:
        """The proof as the bridge sends it; raises CardRefused(MALFORMED) for anything else."""
        if not isinstance(raw, dict):
            raise CardRefused(Refusal.MALFORMED)
        number, challenge = raw.get("card_number"), raw.get("challenge")
        certificate, signature = raw.get("certificate"), raw.get("signature")
        if not (
            isinstance(number, str)
            and number.isascii()
            and number.isalnum()
            and len(number) <= 32
            and valid_challenge(challenge)
            and isinstance(certificate, str)
            and len(certificate) <= MAX_CERTIFICATE_BYTES * 2
            and isinstance(signature, str)
            and len(signature) <= MAX_SIGNATURE_BYTES * 2
        ):
            raise CardRefused(Refusal.MALFORMED)
        try:
            parsed = x509.load_der_x509_certificate(_b64(certificate))
            signature_bytes = _b64(signature)
            decode_dss_signature(signature_bytes)  # either kind: DER SEQUENCE { r, s }
        except ValueError as exc:
            raise CardRefused(Refusal.MALFORMED) from exc
        return cls(number, parsed, str(challenge), signature_bytes, raw.get("initial_pin") is True)


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError("not base64") from exc


def check(card: RegisteredCard | None, proof: Proof, now: dt.datetime) -> RegisteredCard:
    """The registered card the proof is for; raises CardRefused with the reason otherwise.

    The challenge itself (one-time, this conversation's) is checked by the caller first.
    """
    if card is None:
        raise CardRefused(Refusal.UNREGISTERED)
    if card.status is CardStatus.REVOKED:
        raise CardRefused(Refusal.REVOKED, card)
    if card.status is CardStatus.LOCKED:
        raise CardRefused(Refusal.LOCKED, card)
    if card.expires_at <= now:
        raise CardRefused(Refusal.EXPIRED, card)
    try:
        registered = CardKey.from_pem(card.public_key_pem)
        presented = CardKey.from_certificate(proof.certificate)
    except ValueError as exc:
        raise CardRefused(Refusal.WRONG_KEY, card) from exc
    if registered.type is not card.key_type or presented != registered:
        raise CardRefused(Refusal.WRONG_KEY, card)
    if not registered.verifies(proof.signature, signed_message(proof.challenge)):
        raise CardRefused(Refusal.BAD_SIGNATURE, card)
    return card


class CardRegistry:
    """The eport_cards table."""

    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def get(self, card_number: str) -> RegisteredCard | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(EportCard).where(EportCard.card_number == card_number)
            )
        return RegisteredCard.from_row(row) if row else None

    async def register(self, card: RegisteredCard) -> None:
        async with self._sessions() as session, session.begin():
            session.add(
                EportCard(
                    card_number=card.card_number,
                    subject=card.subject,
                    enterprise_name=card.enterprise_name,
                    holder_name=card.holder_name,
                    role=card.role.value,
                    public_key=card.public_key_pem,
                    key_type=card.key_type.value,
                    status=card.status.value,
                    expires_at=card.expires_at,
                )
            )

    async def set_status(self, card_number: str, status: CardStatus) -> None:
        await self._update(card_number, status=status.value)

    async def set_key(self, card_number: str, key: CardKey, expires_at: dt.datetime) -> None:
        """Re-register a card with the key and expiry of its new certificate (renewed, or SM2 in
        place of ECDSA); its status stays as it is."""
        await self._update(
            card_number, public_key=key.pem(), key_type=key.type.value, expires_at=expires_at
        )

    async def _update(self, card_number: str, **values: Any) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(EportCard).where(EportCard.card_number == card_number).values(**values)
            )
