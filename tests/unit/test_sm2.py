"""SM2 and SM3 through the chosen binding (gmssl-pyx), against the standards' published examples,
and what verification does with malformed, out-of-range and wrong-curve input."""

import random
import subprocess

import gmssl_pyx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from queue_service.identity import sm2
from tests.support.sm2_certificates import Sm2Key

# sm2p256v1, GM/T 0003.5 (GB/T 32918.5) section 3.
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = P - 3
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
G = (
    0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
)

# The signature example on the recommended curve (GM/T 0003.5-2012 / GB/T 32918.5-2017, annex
# A): signer id 1234567812345678, message "message digest", the fixed random k.
D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
PUBLIC = bytes.fromhex(
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
MESSAGE = b"message digest"
Z = bytes.fromhex("B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3")
E = bytes.fromhex("F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640")
K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA
POINT = b"\x04" + PUBLIC
SIGNATURE = encode_dss_signature(R, S)


def times(k: int, point: tuple[int, int]) -> tuple[int, int]:
    """k·point in affine coordinates: the example's own arithmetic, for its fixed k only."""
    result = None
    addend = point
    while k:
        if k & 1:
            result = addend if result is None else add(result, addend)
        addend = add(addend, addend)
        k >>= 1
    assert result is not None
    return result


def add(p1: tuple[int, int], p2: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = p1, p2
    if p1 == p2:
        slope = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (slope * slope - x1 - x2) % P
    return x3, (slope * (x1 - x3) - y1) % P


def test_sm3_examples_of_gb_t_32905() -> None:
    assert gmssl_pyx.sm3_hash(b"abc").hex() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )
    assert gmssl_pyx.sm3_hash(b"abcd" * 16).hex() == (
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    )


def test_the_standards_signature_example_step_by_step() -> None:
    # Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA), then e = SM3(Z || M).
    entl = (len(sm2.DEFAULT_SIGNER_ID) * 8).to_bytes(2, "big")
    fields = b"".join(v.to_bytes(32, "big") for v in (A, B, *G))
    assert gmssl_pyx.sm3_hash(entl + sm2.DEFAULT_SIGNER_ID + fields + PUBLIC) == Z
    assert gmssl_pyx.sm3_hash(Z + MESSAGE) == E
    # The key pair, and (r, s) from the fixed k: r = (e + x1) mod n, s = (1 + d)^-1 (k - r d).
    assert times(D, G) == (int.from_bytes(PUBLIC[:32], "big"), int.from_bytes(PUBLIC[32:], "big"))
    e = int.from_bytes(E, "big")
    assert (e + times(K, G)[0]) % N == R
    assert pow(1 + D, -1, N) * (K - R * D) % N == S


def test_the_binding_verifies_the_standards_signature_and_nothing_else() -> None:
    assert sm2.verify(POINT, MESSAGE, SIGNATURE)
    assert gmssl_pyx.sm2_verify_sm3_digest(PUBLIC, E, SIGNATURE)
    assert not sm2.verify(POINT, b"message digesT", SIGNATURE)
    assert not sm2.verify(POINT, MESSAGE, encode_dss_signature(R, S ^ 1))
    assert not sm2.verify(POINT, MESSAGE, encode_dss_signature(S, R))
    # Z binds the signer id: the same signature under another id, or none, is not valid.
    assert not gmssl_pyx.sm2_verify(PUBLIC, MESSAGE, SIGNATURE, signer_id=b"ALICE123@YAHOO.COM")
    assert not gmssl_pyx.sm2_verify(PUBLIC, MESSAGE, SIGNATURE, signer_id=None)


def test_a_signature_made_with_the_standards_key_verifies() -> None:
    key = Sm2Key(D.to_bytes(32, "big"), PUBLIC)
    signature = key.sign(MESSAGE)
    assert signature != SIGNATURE  # a fresh random k each time
    assert sm2.verify(POINT, MESSAGE, signature)


@pytest.mark.parametrize(
    ("r", "s"),
    [(0, S), (R, 0), (N, S), (R, N), (R + N, S), (R, S + N), (R, N - R), (2**256 + R, S)],
    ids=["r=0", "s=0", "r=n", "s=n", "r+n", "s+n", "r+s=n", "r of 33 bytes"],
)
def test_out_of_range_values_are_refused_without_an_exception(r: int, s: int) -> None:
    assert sm2.verify(POINT, MESSAGE, encode_dss_signature(r, s)) is False


def test_malformed_signatures_are_refused_without_an_exception() -> None:
    cases = [
        b"",
        b"\x30",
        SIGNATURE[:-1],
        SIGNATURE + b"\x00",
        b"\x30\x81" + SIGNATURE[1:],  # long-form length: BER, not DER
        SIGNATURE[:4] + b"\x00" + SIGNATURE[4:],  # r with a needless leading zero
        b"\x30\x44\x02\x20" + R.to_bytes(32, "big") + b"\x02\x20" + S.to_bytes(32, "big"),  # < 0
        R.to_bytes(32, "big") + S.to_bytes(32, "big"),  # raw r || s
        b"\x30\x84\xff\xff\xff\xff",
    ]
    rng = random.Random(22)
    for _ in range(2000):  # bytes flipped, cut and added at random
        mutated = bytearray(SIGNATURE)
        for _ in range(rng.randint(1, 4)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        cut = rng.randrange(len(mutated) + 1)
        cases.append(bytes(mutated[:cut]) + rng.randbytes(rng.choice([0, 0, 1, 5])))
    cases += [rng.randbytes(rng.randint(0, 90)) for _ in range(500)]
    assert all(sm2.verify(POINT, MESSAGE, case) is False for case in cases if case != SIGNATURE)
    # The binding itself raises for some of them: this is why nothing reaches it unchecked.
    with pytest.raises(gmssl_pyx.InvalidValueError):
        gmssl_pyx.sm2_verify(PUBLIC, MESSAGE, b"")


def test_malformed_and_wrong_curve_keys_are_refused_without_an_exception() -> None:
    x, y = int.from_bytes(PUBLIC[:32], "big"), int.from_bytes(PUBLIC[32:], "big")
    p256 = ec.generate_private_key(ec.SECP256R1())
    p256_point = p256.public_key().public_numbers()
    keys = {
        "off the curve": b"\x04" + x.to_bytes(32, "big") + (y + 1).to_bytes(32, "big"),
        "x = p": b"\x04" + P.to_bytes(32, "big") + PUBLIC[32:],
        "y = p": b"\x04" + PUBLIC[:32] + P.to_bytes(32, "big"),
        "infinity": b"\x04" + bytes(64),
        "compressed": bytes([2 + y % 2]) + PUBLIC[:32],
        "no prefix": PUBLIC,
        "short": POINT[:-1],
        "a P-256 point": b"\x04"
        + p256_point.x.to_bytes(32, "big")
        + p256_point.y.to_bytes(32, "big"),
    }
    signature = p256.sign(MESSAGE, ec.ECDSA(hashes.SHA256()))
    for name, key in keys.items():
        with pytest.raises(ValueError):
            sm2.check_point(key)
        assert sm2.verify(key, MESSAGE, SIGNATURE) is False, name
        assert sm2.verify(key, MESSAGE, signature) is False, name
    # A P-256 signature offered for an SM2 key: refused like any other.
    assert sm2.verify(POINT, MESSAGE, signature) is False
    # The binding checks the point too, but raises where we refuse.
    with pytest.raises(gmssl_pyx.InvalidValueError):
        gmssl_pyx.sm2_verify(keys["off the curve"][1:], MESSAGE, SIGNATURE)


def test_openssl_verifies_what_the_binding_signs(tmp_path) -> None:
    """Another implementation (OpenSSL 3's SM2, told the signer id) agrees on Z and (r, s)."""
    key = Sm2Key.generate()
    data = b"swa-card-login:" + b"x" * 43
    (tmp_path / "key.der").write_bytes(key.spki())
    (tmp_path / "data").write_bytes(data)
    (tmp_path / "sig").write_bytes(key.sign(data))
    command = (
        "openssl pkeyutl -verify -pubin -keyform DER -inkey key.der -rawin -digest sm3 "
        f"-in data -sigfile sig -pkeyopt distid:{sm2.DEFAULT_SIGNER_ID.decode()}"
    ).split()
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and "Signature Verified Successfully" in done.stdout, done.stderr
    (tmp_path / "data").write_bytes(data + b".")
    assert subprocess.run(command, cwd=tmp_path, capture_output=True).returncode != 0
