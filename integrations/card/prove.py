"""The card login on the user's PC: the card proves who it is by signing the challenge.

Select the e-port application, verify the PIN, read the card number and the certificate, and
have the card sign the challenge. The PIN goes to the card and nowhere else: it is not logged,
not kept, and not part of the proof. A card still on its initial PIN says so in the proof, and
the page offers change_pin.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from integrations.card.apdu import CardSession, check_format
from integrations.card.errors import CardError, Reason
from integrations.card.protocol import signed_message, valid_challenge

# Cards come (and come back from unlock or extension) with this PIN; users should change it.
INITIAL_PIN = "88888888"


@dataclass(frozen=True)
class Proof:
    card_number: str
    certificate: bytes  # DER
    challenge: str
    signature: bytes  # DER ECDSA over signed_message(challenge)
    initial_pin: bool  # the card still has the PIN it was issued with

    def to_json(self) -> dict[str, Any]:
        return {
            "card_number": self.card_number,
            "certificate": base64.b64encode(self.certificate).decode("ascii"),
            "challenge": self.challenge,
            "signature": base64.b64encode(self.signature).decode("ascii"),
            "initial_pin": self.initial_pin,
        }


def change_pin(reader: str, old: str, new: str) -> None:
    """Change the card's PIN (the initial 88888888 must be changed); raises CardError."""
    check_format(old)
    check_format(new)
    if new in (INITIAL_PIN, old):
        raise CardError(Reason.WEAK_PIN)
    with CardSession(reader) as card:
        card.select_application()
        if card.pin_tries_left() == 0:
            raise CardError(Reason.LOCKED, tries_left=0)
        card.change_pin(old, new)


def prove(reader: str, challenge: str, pin: str) -> Proof:
    """Raises CardError with the reason (wrong PIN with the tries left, locked, no card...)."""
    if not valid_challenge(challenge):
        raise ValueError("not a challenge from the service")
    check_format(pin)
    with CardSession(reader) as card:
        card.select_application()
        if card.pin_tries_left() == 0:
            # Locked: sending the PIN would change nothing, and says nothing new.
            raise CardError(Reason.LOCKED, tries_left=0)
        card.verify_pin(pin)
        number = card.card_number()
        certificate = card.certificate()
        signature = card.sign(signed_message(challenge))
    return Proof(number, certificate, challenge, signature, initial_pin=pin == INITIAL_PIN)
