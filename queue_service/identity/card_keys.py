"""The public key an e-port card signs with, read from its certificate or from the registry.

Two kinds: SM2 over SM3 (GM/T 0003, what issued e-port cards use) and ECDSA P-256 over SHA-256
(cards registered before SM2; they keep working until re-registered). Both travel the same
way, in certificates and in the registry's PEM: a SubjectPublicKeyInfo with id-ecPublicKey and
the named curve, sm2p256v1 (1.2.156.10197.1.301, as GM/T 0015 prescribes and GmSSL writes and
accepts) or prime256v1. `cryptography` reads a certificate with an SM2 key but cannot make a
key of it, so the SubjectPublicKeyInfo is read here with its declarative DER decoder
(`cryptography.hazmat.asn1`, pinned with `cryptography`) and the point checked on its curve.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat import asn1
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from queue_service.identity import sm2

EC_PUBLIC_KEY = x509.ObjectIdentifier("1.2.840.10045.2.1")
PEM_BEGIN, PEM_END = "-----BEGIN PUBLIC KEY-----", "-----END PUBLIC KEY-----"


class KeyType(StrEnum):
    ECDSA_P256 = "ecdsa-p256"
    SM2 = "sm2"


CURVES = {
    x509.ObjectIdentifier("1.2.840.10045.3.1.7"): KeyType.ECDSA_P256,
    x509.ObjectIdentifier(sm2.CURVE_OID): KeyType.SM2,
}
CURVE_OF = {key_type: oid for oid, key_type in CURVES.items()}


@asn1.sequence
class AlgorithmIdentifier:
    algorithm: x509.ObjectIdentifier
    parameters: x509.ObjectIdentifier | asn1.Null | None  # EC keys: the named curve


@asn1.sequence
class SubjectPublicKeyInfo:
    algorithm: AlgorithmIdentifier
    subject_public_key: asn1.BitString


@asn1.sequence
class TbsCertificate:
    """RFC 5280's TBSCertificate, read as far as the key is concerned."""

    version: Annotated[int, asn1.Explicit(0), asn1.Default(0)]
    serial_number: int
    signature: asn1.TLV
    issuer: asn1.TLV
    validity: asn1.TLV
    subject: asn1.TLV
    subject_public_key_info: asn1.TLV
    issuer_unique_id: Annotated[asn1.BitString | None, asn1.Implicit(1)]
    subject_unique_id: Annotated[asn1.BitString | None, asn1.Implicit(2)]
    extensions: Annotated[list[asn1.TLV] | None, asn1.Explicit(3)]


@dataclass(frozen=True)
class CardKey:
    """A card's public key: its kind and its point, 04||X||Y, checked on the kind's curve."""

    type: KeyType
    point: bytes

    def __post_init__(self) -> None:
        if self.type is KeyType.SM2:
            sm2.check_point(self.point)
        elif len(self.point) != 65 or self.point[0] != 0x04:
            raise ValueError("not an uncompressed P-256 point")
        else:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), self.point)

    @classmethod
    def from_certificate(cls, certificate: x509.Certificate) -> CardKey:
        """The certificate's key; ValueError (saying why) if it is not an SM2 or P-256 key."""
        tbs = asn1.decode_der(TbsCertificate, certificate.tbs_certificate_bytes)
        return cls.from_spki(tbs.subject_public_key_info.parse(SubjectPublicKeyInfo))

    @classmethod
    def from_pem(cls, pem: str) -> CardKey:
        """The key as the registry stores it; ValueError if it is not one."""
        lines = pem.strip().splitlines()
        if len(lines) < 3 or lines[0] != PEM_BEGIN or lines[-1] != PEM_END:
            raise ValueError("not a PEM public key")
        der = base64.b64decode("".join(lines[1:-1]), validate=True)
        return cls.from_spki(asn1.decode_der(SubjectPublicKeyInfo, der))

    @classmethod
    def from_spki(cls, info: SubjectPublicKeyInfo) -> CardKey:
        algorithm, curve = info.algorithm.algorithm, info.algorithm.parameters
        if algorithm != EC_PUBLIC_KEY or not isinstance(curve, x509.ObjectIdentifier):
            raise ValueError("not an EC key (SM2 or P-256 expected)")
        if curve not in CURVES:
            raise ValueError(f"a key on curve {curve.dotted_string} (SM2 or P-256 expected)")
        if info.subject_public_key.padding_bits():
            raise ValueError("not a whole-byte public key")
        point = info.subject_public_key.as_bytes()
        if CURVES[curve] is KeyType.ECDSA_P256:  # a compressed point becomes 04||X||Y
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
            point = key.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        return cls(CURVES[curve], point)

    def pem(self) -> str:
        """SubjectPublicKeyInfo in PEM, as the registry stores it (and `cryptography` writes)."""
        info = SubjectPublicKeyInfo(
            algorithm=AlgorithmIdentifier(algorithm=EC_PUBLIC_KEY, parameters=CURVE_OF[self.type]),
            subject_public_key=asn1.BitString(self.point, 0),
        )
        text = base64.b64encode(asn1.encode_der(info)).decode("ascii")
        lines = [text[i : i + 64] for i in range(0, len(text), 64)]
        return "\n".join([PEM_BEGIN, *lines, PEM_END, ""])

    def verifies(self, signature: bytes, message: bytes) -> bool:
        """Whether `signature` (DER) is this key's over `message`. Never raises."""
        if self.type is KeyType.SM2:
            return sm2.verify(self.point, message, signature)
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), self.point)
        try:
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True
