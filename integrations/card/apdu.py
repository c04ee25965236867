"""The e-port card's application, APDU by APDU, over a pyscard connection.

ISO 7816-4 commands, short APDUs only (what every reader handles):
  SELECT application  00 A4 04 00 Lc <AID>
  SELECT file         00 A4 02 0C 02 <file id>       0101 card number, 0102 certificate (DER)
  READ BINARY         00 B0 <offset hi> <offset lo> <Le>
  VERIFY PIN          00 20 00 01 [Lc <PIN>]         without a PIN: asks for the tries left
  CHANGE PIN          00 24 00 01 18 <old><new>      each padded to 12 bytes with FF
  SIGN                00 2A 9E 9A Lc <data> 00       SM2 over SM3 with Z (GM/T 0003), DER-encoded;
                                                     ECDSA P-256/SHA-256 on cards from before SM2
Status words: 9000 done, 63Cx wrong PIN with x tries left, 6983 locked, 6982 PIN not verified,
6A82 not found (no e-port application on this card).
"""

from __future__ import annotations

import contextlib

from smartcard.CardConnection import CardConnection
from smartcard.Exceptions import CardConnectionException, NoCardException
from smartcard.System import readers as pyscard_readers

from integrations.card.errors import CardError, Reason

AID = bytes.fromhex("D15600000145504F5254")  # D156 (China) + "EPORT"
CARD_NUMBER_FILE = 0x0101
CERTIFICATE_FILE = 0x0102
PIN_REFERENCE = 0x01
PIN_BLOCK = 12
READ_CHUNK = 0xF0
MAX_FILE_SIZE = 8192  # a certificate is well under this; more means a broken card
OK = (0x90, 0x00)


class CardSession:
    """One connection to the card in a reader; use as a context manager."""

    def __init__(self, reader: str) -> None:
        self.reader = reader
        self._connection: CardConnection | None = None

    def __enter__(self) -> CardSession:
        matches = [r for r in pyscard_readers() if str(r) == self.reader]
        if not matches:
            raise CardError(Reason.NO_READER, self.reader)
        connection = matches[0].createConnection()
        try:
            connection.connect()
        except NoCardException as exc:
            raise CardError(Reason.NO_CARD, self.reader) from exc
        except CardConnectionException as exc:
            raise CardError(Reason.NO_CARD, str(exc)) from exc
        self._connection = connection
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._connection is not None:
            # Disconnect, then release the PC/SC context now rather than in a finaliser; either
            # may fail when the card is already gone, which changes nothing here.
            with contextlib.suppress(CardConnectionException):
                self._connection.disconnect()
            with contextlib.suppress(CardConnectionException):
                self._connection.release()
            self._connection = None

    def transmit(self, apdu: bytes) -> tuple[bytes, int, int]:
        if self._connection is None:
            raise RuntimeError("the session is not open")
        try:
            data, sw1, sw2 = self._connection.transmit(list(apdu))
        except CardConnectionException as exc:
            raise CardError(Reason.NO_CARD, str(exc)) from exc
        return bytes(data), sw1, sw2

    def select_application(self) -> None:
        _, sw1, sw2 = self.transmit(b"\x00\xa4\x04\x00" + bytes([len(AID)]) + AID)
        if (sw1, sw2) == (0x6A, 0x82):
            raise CardError(Reason.NOT_EPORT_CARD)
        _expect_ok(sw1, sw2, "SELECT")

    def pin_tries_left(self) -> int | None:
        """Tries left before the card locks (0: locked); None once the PIN is verified."""
        _, sw1, sw2 = self.transmit(bytes([0x00, 0x20, 0x00, PIN_REFERENCE]))
        if (sw1, sw2) == OK:
            return None
        if sw1 == 0x63 and sw2 & 0xF0 == 0xC0:
            return sw2 & 0x0F
        if (sw1, sw2) == (0x69, 0x83):
            return 0
        raise CardError(Reason.CARD_ERROR, f"VERIFY status {sw1:02X}{sw2:02X}")

    def verify_pin(self, pin: str) -> None:
        """Raises CardError(WRONG_PIN, tries_left=n) or CardError(LOCKED); the PIN is not kept."""
        check_format(pin)
        encoded = pin.encode("ascii")
        _, sw1, sw2 = self.transmit(
            bytes([0x00, 0x20, 0x00, PIN_REFERENCE, len(encoded)]) + encoded
        )
        _pin_status(sw1, sw2, "VERIFY")

    def change_pin(self, old: str, new: str) -> None:
        """Raises as verify_pin for a wrong old PIN; neither PIN is kept."""
        check_format(old)
        check_format(new)
        block = old.encode("ascii").ljust(PIN_BLOCK, b"\xff") + new.encode("ascii").ljust(
            PIN_BLOCK, b"\xff"
        )
        _, sw1, sw2 = self.transmit(bytes([0x00, 0x24, 0x00, PIN_REFERENCE, len(block)]) + block)
        if (sw1, sw2) == (0x6A, 0x80):
            raise CardError(Reason.BAD_PIN_FORMAT)
        _pin_status(sw1, sw2, "CHANGE PIN")

    def read_file(self, file_id: int) -> bytes:
        _, sw1, sw2 = self.transmit(b"\x00\xa4\x02\x0c\x02" + file_id.to_bytes(2, "big"))
        _expect_ok(sw1, sw2, f"SELECT {file_id:04X}")
        content = b""
        while len(content) < MAX_FILE_SIZE:
            offset = len(content).to_bytes(2, "big")
            chunk, sw1, sw2 = self.transmit(b"\x00\xb0" + offset + bytes([READ_CHUNK]))
            if (sw1, sw2) == (0x6B, 0x00):
                break  # read past the end: the previous chunk ended exactly at it
            _expect_ok(sw1, sw2, "READ BINARY")
            content += chunk
            if len(chunk) < READ_CHUNK:
                break
        return content

    def card_number(self) -> str:
        raw = self.read_file(CARD_NUMBER_FILE)
        try:
            number = raw.decode("ascii").strip()
        except UnicodeDecodeError as exc:
            raise CardError(Reason.CARD_ERROR, "card number is not ASCII") from exc
        if not number.isalnum():
            raise CardError(Reason.CARD_ERROR, "malformed card number")
        return number

    def certificate(self) -> bytes:
        return self.read_file(CERTIFICATE_FILE)

    def sign(self, data: bytes) -> bytes:
        if not 0 < len(data) <= 255:
            raise ValueError("the card signs 1 to 255 bytes")
        signature, sw1, sw2 = self.transmit(
            b"\x00\x2a\x9e\x9a" + bytes([len(data)]) + data + b"\x00"
        )
        if (sw1, sw2) == (0x69, 0x82):
            raise CardError(Reason.CARD_ERROR, "PIN not verified before signing")
        _expect_ok(sw1, sw2, "SIGN")
        return signature


def check_format(pin: str) -> None:
    """A PIN the card could take: checked here, since a malformed one would still cost a try."""
    if not (pin.isascii() and pin.isdigit() and 6 <= len(pin) <= PIN_BLOCK):
        raise CardError(Reason.BAD_PIN_FORMAT)


def _pin_status(sw1: int, sw2: int, what: str) -> None:
    if (sw1, sw2) == OK:
        return
    if (sw1, sw2) == (0x69, 0x83) or (sw1 == 0x63 and sw2 == 0xC0):
        raise CardError(Reason.LOCKED, tries_left=0)
    if sw1 == 0x63 and sw2 & 0xF0 == 0xC0:
        raise CardError(Reason.WRONG_PIN, tries_left=sw2 & 0x0F)
    raise CardError(Reason.CARD_ERROR, f"{what} status {sw1:02X}{sw2:02X}")


def _expect_ok(sw1: int, sw2: int, what: str) -> None:
    if (sw1, sw2) != OK:
        raise CardError(Reason.CARD_ERROR, f"{what} status {sw1:02X}{sw2:02X}")
