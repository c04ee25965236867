"""A model of the e-port card's application (法人卡 / 操作员卡) for the virtual reader.

It answers the APDUs that integrations/card/apdu.py sends, written here from the same ISO
7816-4 conventions rather than imported, so that a mistake in the client shows up as a failing
exchange and not as two sides agreeing on the same error:

  SELECT application  00 A4 04 00 Lc <AID>            9000 / 6A82
  SELECT file         00 A4 02 0C 02 <file id>          9000 / 6A82
  READ BINARY         00 B0 <offset> Le                 data 9000 / 6B00 / 6986
  VERIFY PIN          00 20 00 01 [Lc <PIN>]            9000 / 63Cx (x tries left) / 6983 locked
  CHANGE PIN          00 24 00 01 18 <old><new>         each PIN padded to 12 bytes with FF;
                                                        9000 / 63Cx / 6983 / 6A80 (bad new PIN)
  SIGN                00 2A 9E 9A Lc <data> 00          <DER signature> 9000 / 6982
Files: 0101 the card number (ASCII), 0102 the certificate (DER). A verified PIN lasts until the
card is reset, powered off or the application is selected again, as on a real card.

Cards sign with SM2 over SM3 (GM/T 0003, Z from the default signer id), as issued e-port cards
do, and carry an SM2 certificate; a card of the ECDSA P-256 kind (over SHA-256) stands for one
registered before SM2.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.sm2_certificates import Sm2Key, sm2_certificate

AID = bytes.fromhex("D15600000145504F5254")  # D156 (China) + "EPORT"
# TS 3B, T0 85 (TD1 follows, 5 historical bytes), TD1 01 (T=1), "EPORT", TCK.
_ATR_BODY = bytes.fromhex("850145504F5254")
MAX_TRIES = 5
INITIAL_PIN = "88888888"
CARD_NUMBER_FILE = 0x0101
CERTIFICATE_FILE = 0x0102
CA_NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test E-Port CA")])


def _xor_all(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


ATR = b"\x3b" + _ATR_BODY + bytes([_xor_all(_ATR_BODY)])

OK = b"\x90\x00"
LOCKED = b"\x69\x83"
NOT_FOUND = b"\x6a\x82"
NOT_ALLOWED = b"\x69\x86"
SECURITY_NOT_SATISFIED = b"\x69\x82"
CONDITIONS_NOT_SATISFIED = b"\x69\x85"
WRONG_OFFSET = b"\x6b\x00"
WRONG_LENGTH = b"\x67\x00"
UNKNOWN_INS = b"\x6d\x00"
UNKNOWN_CLA = b"\x6e\x00"
WRONG_P1P2 = b"\x6a\x86"
WRONG_DATA = b"\x6a\x80"
PIN_BLOCK = 12


def tries_left(count: int) -> bytes:
    return bytes([0x63, 0xC0 | count])


@dataclass(frozen=True)
class EcdsaKey:
    """An ECDSA P-256 key pair, signing over SHA-256: the kind registered before SM2."""

    private: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    kind = "ecdsa-p256"

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data, ec.ECDSA(hashes.SHA256()))

    def verify(self, signature: bytes, data: bytes) -> bool:
        try:
            self.private.public_key().verify(signature, data, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True

    def spki(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )


CardKeyPair = Sm2Key | EcdsaKey


@dataclass
class EportApplet:
    """One card: its number, key, certificate, PIN and retry counter."""

    card_number: str
    key: CardKeyPair
    certificate: x509.Certificate
    pin: str = INITIAL_PIN
    tries: int = MAX_TRIES
    atr: bytes = ATR
    _selected: bool = field(default=False, init=False)
    _verified: bool = field(default=False, init=False)
    _file: bytes | None = field(default=None, init=False)

    def public_key_pem(self) -> str:
        """The card's public key as the registry keeps it: SubjectPublicKeyInfo in PEM."""
        text = base64.b64encode(self.key.spki()).decode("ascii")
        lines = [text[i : i + 64] for i in range(0, len(text), 64)]
        return "\n".join(["-----BEGIN PUBLIC KEY-----", *lines, "-----END PUBLIC KEY-----", ""])

    def power_off(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._selected = self._verified = False
        self._file = None

    def process(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return WRONG_LENGTH
        cla, ins, p1, p2 = apdu[:4]
        data, le = _body(apdu[4:])
        if data is None:
            return WRONG_LENGTH
        if cla != 0x00:
            return UNKNOWN_CLA
        if ins == 0xA4:
            return self._select(p1, p2, data)
        if not self._selected:
            return CONDITIONS_NOT_SATISFIED
        if ins == 0xB0:
            return self._read(p1, p2, le)
        if ins == 0x20:
            return self._verify(p1, p2, data)
        if ins == 0x2A:
            return self._sign(p1, p2, data)
        if ins == 0x24:
            return self._change(p1, p2, data)
        return UNKNOWN_INS

    def _select(self, p1: int, p2: int, data: bytes) -> bytes:
        if p1 == 0x04:
            if data != AID:
                return NOT_FOUND
            self.reset()
            self._selected = True
            return OK
        if p1 == 0x02 and p2 == 0x0C and len(data) == 2:
            if not self._selected:
                return CONDITIONS_NOT_SATISFIED
            files = {
                CARD_NUMBER_FILE: self.card_number.encode("ascii"),
                CERTIFICATE_FILE: self.certificate.public_bytes(serialization.Encoding.DER),
            }
            content = files.get(int.from_bytes(data, "big"))
            if content is None:
                return NOT_FOUND
            self._file = content
            return OK
        return WRONG_P1P2

    def _read(self, p1: int, p2: int, le: int | None) -> bytes:
        if self._file is None:
            return NOT_ALLOWED
        if p1 & 0x80:
            return WRONG_P1P2
        offset = (p1 << 8) | p2
        if offset > len(self._file):
            return WRONG_OFFSET
        size = le or 256
        return self._file[offset : offset + size] + OK

    def _verify(self, p1: int, p2: int, data: bytes) -> bytes:
        if (p1, p2) != (0x00, 0x01):
            return WRONG_P1P2
        if self.tries == 0:
            return LOCKED
        if not data:  # no PIN: asks for the tries left
            return OK if self._verified else tries_left(self.tries)
        if data.decode("ascii", "replace") == self.pin:
            self.tries = MAX_TRIES
            self._verified = True
            return OK
        self._verified = False
        self.tries -= 1
        return LOCKED if self.tries == 0 else tries_left(self.tries)

    def _change(self, p1: int, p2: int, data: bytes) -> bytes:
        if (p1, p2) != (0x00, 0x01):
            return WRONG_P1P2
        if len(data) != 2 * PIN_BLOCK:
            return WRONG_LENGTH
        if self.tries == 0:
            return LOCKED
        old = data[:PIN_BLOCK].rstrip(b"\xff").decode("ascii", "replace")
        new = data[PIN_BLOCK:].rstrip(b"\xff").decode("ascii", "replace")
        if old != self.pin:
            self._verified = False
            self.tries -= 1
            return LOCKED if self.tries == 0 else tries_left(self.tries)
        if not (new.isdigit() and 6 <= len(new) <= 12):
            return WRONG_DATA
        self.pin, self.tries, self._verified = new, MAX_TRIES, True
        return OK

    def _sign(self, p1: int, p2: int, data: bytes) -> bytes:
        if (p1, p2) != (0x9E, 0x9A):
            return WRONG_P1P2
        if not self._verified:
            return SECURITY_NOT_SATISFIED
        if not data:
            return WRONG_LENGTH
        return self.key.sign(data) + OK


def _body(rest: bytes) -> tuple[bytes | None, int | None]:
    """A short APDU's data and Le (ISO 7816-4 cases 1-4); data None when malformed."""
    if not rest:
        return b"", None
    if len(rest) == 1:
        return b"", rest[0]
    lc = rest[0]
    if len(rest) == 1 + lc:
        return rest[1:], None
    if len(rest) == 2 + lc:
        return rest[1 : 1 + lc], rest[-1]
    return None, None


@dataclass
class CardAuthority:
    """A test stand-in for the e-port certificate authority: issues card certificates, signed
    with SM2-with-SM3 for SM2 cards (as the e-port CA does) and ECDSA for ECDSA cards."""

    sm2_key: Sm2Key = field(default_factory=Sm2Key.generate)
    ecdsa_key: EcdsaKey = field(default_factory=EcdsaKey)

    def issue(
        self,
        card_number: str,
        holder: str,
        not_after: dt.datetime,
        key: CardKeyPair | None = None,
        pin: str = INITIAL_PIN,
    ) -> EportApplet:
        """A new card (its own SM2 key unless given) whose certificate runs until `not_after`."""
        key = key or Sm2Key.generate()
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, holder),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, card_number),
            ]
        )
        if isinstance(key, Sm2Key):
            certificate = sm2_certificate(self.sm2_key, CA_NAME, subject, key.spki(), not_after)
        else:
            certificate = (
                x509.CertificateBuilder()
                .subject_name(subject)
                .issuer_name(CA_NAME)
                .public_key(key.private.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(not_after - dt.timedelta(days=730))
                .not_valid_after(not_after)
                .sign(self.ecdsa_key.private, hashes.SHA256())
            )
        return EportApplet(card_number, key, certificate, pin=pin)
