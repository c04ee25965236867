"""SM2 signature verification over SM3 with the signer's Z value (GM/T 0003.2, GB/T 32918.2).

The only module that calls the binding, gmssl-pyx (GmSSL 3.2.0, statically linked; why this
one: docs/architecture.md, Decisions). What comes from a card proof is checked here before it
reaches GmSSL, so that nothing a client sends can raise: the signature must be strict DER (a
SEQUENCE of two INTEGERs, decoded by `cryptography`) with r and s in [1, n-1], the key an
uncompressed point on the SM2 curve. GmSSL checks the point, the range and r + s != n again.

GmSSL prints a line to stderr for every check that fails (its DEBUG default): a refused
signature leaves two such lines (`sm2_fast_verify()`, `sm2_verify_finish()`) in the service's
output, without any data from the proof.
"""

from __future__ import annotations

import gmssl_pyx
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

CURVE_OID = "1.2.156.10197.1.301"  # sm2p256v1, the curve GM/T 0003.5 recommends
ORDER = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123  # n
# The signer id of GM/T 0009 when none is agreed: what e-port cards and GmSSL use for Z.
DEFAULT_SIGNER_ID = b"1234567812345678"


def check_point(point: bytes) -> None:
    """Raises ValueError unless `point` is 04||X||Y and on the SM2 curve (not infinity)."""
    if len(point) != 65 or point[0] != 0x04:
        raise ValueError("not an uncompressed SM2 point (04||X||Y)")
    try:
        gmssl_pyx.normalize_sm2_public_key(point)
    except gmssl_pyx.InvalidValueError as exc:
        raise ValueError("not a point on the SM2 curve") from exc


def verify(point: bytes, message: bytes, signature: bytes) -> bool:
    """Whether `signature` (DER) is the SM2 signature of `point`'s holder over `message`, with
    Z computed from the default signer id. Never raises: anything malformed is False."""
    try:
        check_point(point)
        r, s = decode_dss_signature(signature)
    except ValueError:
        return False
    if not (0 < r < ORDER and 0 < s < ORDER):
        return False
    try:
        return gmssl_pyx.sm2_verify(point[1:], message, signature, signer_id=DEFAULT_SIGNER_ID)
    except gmssl_pyx.GmsslInnerError:  # InvalidValueError too: GmSSL refused an input
        return False
