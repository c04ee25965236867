"""SM2 keys and X.509 certificates with SM2 keys, as an e-port card's CA issues them (GM/T 0015).

`cryptography` cannot build these (no SM2 keys), so the certificate is written here field by
field with its declarative DER encoder and signed with SM2-with-SM3 (1.2.156.10197.1.501) by
the binding. The key's SubjectPublicKeyInfo is written as literal bytes, independently of the
service's reader (queue_service/identity/card_keys.py): id-ecPublicKey, sm2p256v1, 04||X||Y.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Annotated

import gmssl_pyx
from cryptography import x509
from cryptography.hazmat import asn1

SM2_WITH_SM3 = x509.ObjectIdentifier("1.2.156.10197.1.501")
# SEQUENCE { SEQUENCE { id-ecPublicKey, sm2p256v1 }, BIT STRING (66 bytes: 00, 04, X, Y) }
SM2_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d03420004")
# The same key with the SM2 OID as its algorithm and no parameters, as some software writes it.
SM2_OID_SPKI_PREFIX = bytes.fromhex("3050300a06082a811ccf5501822d03420004")


@dataclass(frozen=True)
class Sm2Key:
    """An SM2 key pair: d (32 bytes) and the public point's X||Y (64 bytes)."""

    private: bytes
    public: bytes
    kind = "sm2"

    @classmethod
    def generate(cls) -> Sm2Key:
        public, private = gmssl_pyx.sm2_key_generate()
        return cls(private, public)

    def sign(self, data: bytes) -> bytes:
        """DER SM2 signature over SM3(Z || data), Z from the default signer id."""
        return gmssl_pyx.sm2_sign(self.private, self.public, data)

    def verify(self, signature: bytes, data: bytes) -> bool:
        return gmssl_pyx.sm2_verify(self.public, data, signature)

    def spki(self) -> bytes:
        return SM2_SPKI_PREFIX + self.public


@asn1.sequence
class _Algorithm:
    algorithm: x509.ObjectIdentifier


@asn1.sequence
class _Validity:
    not_before: asn1.UTCTime
    not_after: asn1.UTCTime


@asn1.sequence
class _TbsCertificate:
    version: Annotated[int, asn1.Explicit(0)]
    serial_number: int
    signature: _Algorithm
    issuer: asn1.TLV
    validity: _Validity
    subject: asn1.TLV
    subject_public_key_info: asn1.TLV


@asn1.sequence
class _Certificate:
    tbs_certificate: asn1.TLV
    signature_algorithm: _Algorithm
    signature: asn1.BitString


def _tlv(der: bytes) -> asn1.TLV:
    return asn1.decode_der(asn1.TLV, der)


def sm2_certificate(
    issuer_key: Sm2Key,
    issuer: x509.Name,
    subject: x509.Name,
    spki: bytes,
    not_after: dt.datetime,
    not_before: dt.datetime | None = None,
) -> x509.Certificate:
    """A v3 certificate for the key in `spki` (DER), signed by `issuer_key` with SM2-with-SM3."""
    tbs = asn1.encode_der(
        _TbsCertificate(
            version=2,
            serial_number=secrets.randbits(63) + 1,
            signature=_Algorithm(algorithm=SM2_WITH_SM3),
            issuer=_tlv(issuer.public_bytes()),
            validity=_Validity(
                not_before=asn1.UTCTime(not_before or not_after - dt.timedelta(days=730)),
                not_after=asn1.UTCTime(not_after),
            ),
            subject=_tlv(subject.public_bytes()),
            subject_public_key_info=_tlv(spki),
        )
    )
    certificate = _Certificate(
        tbs_certificate=_tlv(tbs),
        signature_algorithm=_Algorithm(algorithm=SM2_WITH_SM3),
        signature=asn1.BitString(issuer_key.sign(tbs), 0),
    )
    return x509.load_der_x509_certificate(asn1.encode_der(certificate))
