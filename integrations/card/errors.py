"""What can go wrong with a card, as reasons the bridge and the page can act on."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    NO_READER = "no_reader"  # the named reader is not connected
    NO_CARD = "no_card"  # no card in the reader, or it was taken out during the exchange
    NOT_EPORT_CARD = "not_eport_card"  # a card without the e-port application
    WRONG_PIN = "wrong_pin"  # tries_left says how many remain before the card locks
    LOCKED = "locked"  # 5 wrong PINs: the card must be unlocked at a card point
    BAD_PIN_FORMAT = "bad_pin_format"  # not sent to the card: it would cost a try
    WEAK_PIN = "weak_pin"  # a new PIN that is the initial one, or the old one again
    CARD_ERROR = "card_error"  # the card answered an unexpected status word
    PCSC_UNAVAILABLE = "pcsc_unavailable"  # no PC/SC service (pcscd) to talk to


class CardError(Exception):
    def __init__(self, reason: Reason, detail: str = "", tries_left: int | None = None) -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail
        self.tries_left = tries_left
        # The card's number, where it was read before the error (a wrong PIN's card).
        self.card_number: str | None = None
