"""A card's key read from its certificate and from the registry, and the proof check with either
kind: each wrong key, wrong curve and bad signature is refused with its reason, never raised."""

import base64
import datetime as dt
import random

import pytest
from cryptography import x509
from cryptography.hazmat import asn1
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID

from kernel.card_protocol import signed_message
from queue_service.identity import sm2
from queue_service.identity.card_keys import CardKey, KeyType, SubjectPublicKeyInfo
from queue_service.identity.cards import (
    CardRefused,
    CardRole,
    CardStatus,
    Proof,
    Refusal,
    RegisteredCard,
    check,
)
from tests.support.eport_card import CA_NAME, CardAuthority, EcdsaKey, EportApplet
from tests.support.sm2_certificates import Sm2Key, sm2_certificate

NOW = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)
AUTHORITY = CardAuthority()
CHALLENGE = "Qm9vdHN0cmFwIGNoYWxsZW5nZSBmb3IgdGhlIHRlc3Q"


def card(key=None, number: str = "8911000012345") -> EportApplet:
    return AUTHORITY.issue(number, "赵建国", NOW + dt.timedelta(days=700), key=key)


def registered(applet: EportApplet, key_type: str | None = None) -> RegisteredCard:
    return RegisteredCard(
        card_number=applet.card_number,
        subject="ent-demo-1",
        enterprise_name="北京示例进出口有限公司",
        holder_name="赵建国",
        role=CardRole.LEGAL,
        public_key_pem=applet.public_key_pem(),
        key_type=KeyType(key_type or applet.key.kind),
        status=CardStatus.ACTIVE,
        expires_at=applet.certificate.not_valid_after_utc,
    )


def proof(
    applet: EportApplet, signature: bytes | None = None, certificate: x509.Certificate | None = None
) -> Proof:
    """The proof as the bridge sends it, parsed as the service parses it."""
    der = (certificate or applet.certificate).public_bytes(serialization.Encoding.DER)
    signature = applet.key.sign(signed_message(CHALLENGE)) if signature is None else signature
    return Proof.parse(
        {
            "card_number": applet.card_number,
            "certificate": base64.b64encode(der).decode(),
            "challenge": CHALLENGE,
            "signature": base64.b64encode(signature).decode(),
        }
    )


def refusal(registration: RegisteredCard, presented: Proof) -> Refusal | None:
    try:
        check(registration, presented, NOW)
    except CardRefused as exc:
        return exc.reason
    return None


@pytest.mark.parametrize("new_key", [Sm2Key.generate, EcdsaKey], ids=["sm2", "ecdsa-p256"])
def test_either_kind_logs_in_with_its_own_key_and_signature(new_key) -> None:
    applet = card(new_key())
    assert refusal(registered(applet), proof(applet)) is None
    other = card(new_key())
    # Another card's key in the certificate; the right certificate with another's signature.
    assert refusal(registered(applet), proof(other)) is Refusal.WRONG_KEY
    forged = other.key.sign(signed_message(CHALLENGE))
    assert refusal(registered(applet), proof(applet, forged)) is Refusal.BAD_SIGNATURE


def test_the_registered_kind_decides_and_must_match_the_key() -> None:
    sm2_card, ecdsa_card = card(), card(EcdsaKey())
    # An ECDSA certificate and signature for a card registered with SM2, and the reverse.
    ecdsa_for_sm2 = proof(ecdsa_card)
    assert refusal(registered(sm2_card), ecdsa_for_sm2) is Refusal.WRONG_KEY
    assert refusal(registered(ecdsa_card), proof(sm2_card)) is Refusal.WRONG_KEY
    # The SM2 card's certificate with an ECDSA signature: a bad signature, not an exception.
    mixed = proof(sm2_card, ecdsa_card.key.sign(signed_message(CHALLENGE)))
    assert refusal(registered(sm2_card), mixed) is Refusal.BAD_SIGNATURE
    # A registration whose kind does not match its key is refused, whichever way round.
    assert refusal(registered(sm2_card, "ecdsa-p256"), proof(sm2_card)) is Refusal.WRONG_KEY
    assert refusal(registered(ecdsa_card, "sm2"), proof(ecdsa_card)) is Refusal.WRONG_KEY


def test_out_of_range_and_malformed_signatures_are_refused_with_a_reason() -> None:
    applet = card()
    registration = registered(applet)
    for r, s in [(0, 1), (1, 0), (sm2.ORDER, 1), (1, sm2.ORDER), (2**256 - 1, 2**256 - 1)]:
        presented = proof(applet, encode_dss_signature(r, s))
        assert refusal(registration, presented) is Refusal.BAD_SIGNATURE
    rng = random.Random(2022)
    good = applet.key.sign(signed_message(CHALLENGE))
    reasons = set()
    for _ in range(300):
        bad = bytearray(good)
        bad[rng.randrange(len(bad))] ^= 1 << rng.randrange(8)
        try:
            reasons.add(refusal(registration, proof(applet, bytes(bad))))
        except CardRefused as exc:  # from Proof.parse: not a DER signature at all
            reasons.add(exc.reason)
    assert reasons == {Refusal.BAD_SIGNATURE, Refusal.MALFORMED}
    with pytest.raises(CardRefused) as raised:
        proof(applet, good[8:])
    assert raised.value.reason is Refusal.MALFORMED


def test_a_certificate_with_a_point_off_the_curve_is_the_wrong_key() -> None:
    applet = card()
    x, y = applet.key.public[:32], int.from_bytes(applet.key.public[32:], "big")
    spki = applet.key.spki()[:27] + x + ((y + 1) % 2**256).to_bytes(32, "big")
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "赵建国")])
    bad = sm2_certificate(AUTHORITY.sm2_key, CA_NAME, subject, spki, NOW + dt.timedelta(days=9))
    assert refusal(registered(applet), proof(applet, certificate=bad)) is Refusal.WRONG_KEY
    # And a registry row that does not hold a key at all.
    broken = registered(applet)
    broken = RegisteredCard(**{**broken.__dict__, "public_key_pem": "-----BEGIN PUBLIC KEY-----"})
    assert refusal(broken, proof(applet)) is Refusal.WRONG_KEY


def test_keys_are_stored_as_cryptography_writes_them_and_read_back() -> None:
    ecdsa = EcdsaKey()
    pem = ecdsa.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key = CardKey.from_pem(pem.decode())
    assert key.type is KeyType.ECDSA_P256 and key.pem() == pem.decode()  # rows before SM2
    sm2_key = Sm2Key.generate()
    stored = CardKey(KeyType.SM2, b"\x04" + sm2_key.public)
    assert CardKey.from_pem(stored.pem()) == stored
    assert base64.b64decode("".join(stored.pem().splitlines()[1:-1])) == sm2_key.spki()
    assert CardKey.from_certificate(card(ecdsa).certificate) == key
    # A P-256 key given as a compressed point is the same key.
    compressed = ecdsa.private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
    )
    spki = bytes.fromhex("3039301306072a8648ce3d020106082a8648ce3d030107032200") + compressed
    assert CardKey.from_spki(asn1.decode_der(SubjectPublicKeyInfo, spki)) == key
    for text in ("", "-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----", stored.pem()[5:]):
        with pytest.raises(ValueError):
            CardKey.from_pem(text)
