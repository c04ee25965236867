"""The card login on the user's PC: the card proves who it is by signing the challenge.

Select the e-port application, verify the PIN, read the card number and the certificate, and
have the card sign the challenge. The PIN goes to the card and nowhere else: it is not logged,
not kept, and not part of the proof. A card still on its initial PIN says so in the proof, and
the page offers change_pin.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from integrations.card.apdu import CardSession, check_format
from integrations.card.errors import CardError, Reason
from kernel.card_protocol import signed_message, valid_challenge

# Cards come (and come back from unlock or extension) with this PIN; users should change it.
INITIAL_PIN = "88888888"


@dataclass(frozen=True)
class Proof:
    card_number: str
    certificate: bytes  # DER
    challenge: str
    signature: bytes  # DER SM2 (or ECDSA) signature over signed_message(challenge)
    initial_pin: bool  # the card still has the PIN it was issued with

    def to_json(self) -> dict[str, Any]:
        return {
            "card_number": self.card_number,
            "certificate": base64.b64encode(self.certificate).decode("ascii"),
            "challenge": self.challenge,
            "signature": base64.b64encode(self.signature).decode("ascii"),
            "initial_pin": self.initial_pin,
        }


def change_pin(reader: str, old: str, new: str) -> str:
    """Change the card's PIN (the initial 88888888 must be changed); the card's number.

    Raises CardError; a wrong old PIN's error carries the card number (for the bridge's pacing).
    """
    check_format(old)
    check_format(new)
    if new in (INITIAL_PIN, old):
        raise CardError(Reason.WEAK_PIN)
    with CardSession(reader) as card:
        card.select_application()
        number = card.card_number()
        if card.pin_tries_left() == 0:
            raise CardError(Reason.LOCKED, tries_left=0)
        with _for_card(number):
            card.change_pin(old, new)
    return number


def prove(reader: str, challenge: str, pin: str) -> Proof:
    """Raises CardError with the reason (wrong PIN with the tries left, locked, no card...);
    a wrong PIN's error carries the card number (for the bridge's pacing)."""
    if not valid_challenge(challenge):
        raise ValueError("not a challenge from the service")
    check_format(pin)
    with CardSession(reader) as card:
        card.select_application()
        # The number needs no PIN: read first, so that a wrong PIN is known by its card.
        number = card.card_number()
        if card.pin_tries_left() == 0:
            # Locked: sending the PIN would change nothing, and says nothing new.
            raise CardError(Reason.LOCKED, tries_left=0)
        with _for_card(number):
            card.verify_pin(pin)
        certificate = card.certificate()
        signature = card.sign(signed_message(challenge))
    return Proof(number, certificate, challenge, signature, initial_pin=pin == INITIAL_PIN)


@contextmanager
def _for_card(number: str) -> Iterator[None]:
    """A CardError raised inside names the card it is about."""
    try:
        yield
    except CardError as exc:
        exc.card_number = number
        raise
