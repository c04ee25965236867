"""Card signatures: SM2 over SM3 (gmssl-pyx, GmSSL 3.2.0) beside ECDSA P-256 over SHA-256
(`cryptography`, OpenSSL), signing and verifying the login message, in one run.

Sign is what the virtual card does (a real card signs in its own chip, much more slowly);
verify is what the service does for each card login, through the same code
(`CardKey.verifies`: the registry's key, the DER and range checks, then the binding). The calls
are interleaved, so that machine noise hits both alike.

    python -m bench.card_signatures [--rounds 2000]

The last line is machine-readable: p50 of each, and SM2's p50 over ECDSA's.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bench.queue import percentile, summary
from kernel.card_protocol import signed_message
from queue_service.identity.card_keys import CardKey, KeyType
from tests.support.eport_card import EcdsaKey
from tests.support.sm2_certificates import Sm2Key

MESSAGE = signed_message("x3Jq9cZr6Yb0lWm2Xk7pQv4sTt8uNn1aAe5fGh0iJk")


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def measure(rounds: int) -> dict[str, list[float]]:
    sm2, ecdsa = Sm2Key.generate(), EcdsaKey()
    sm2_key = CardKey(KeyType.SM2, b"\x04" + sm2.public)
    point = ecdsa.private.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    ecdsa_key = CardKey(KeyType.ECDSA_P256, point)
    sm2_signature, ecdsa_signature = sm2.sign(MESSAGE), ecdsa.sign(MESSAGE)
    assert sm2_key.verifies(sm2_signature, MESSAGE) and ecdsa_key.verifies(ecdsa_signature, MESSAGE)
    calls: dict[str, Callable[[], object]] = {
        "ecdsa_sign": lambda: ecdsa.sign(MESSAGE),
        "sm2_sign": lambda: sm2.sign(MESSAGE),
        "ecdsa_verify": lambda: ecdsa_key.verifies(ecdsa_signature, MESSAGE),
        "sm2_verify": lambda: sm2_key.verifies(sm2_signature, MESSAGE),
    }
    figures: dict[str, list[float]] = {name: [] for name in calls}
    for call in calls.values():
        call()
    for _ in range(rounds):
        for name, call in calls.items():
            figures[name].append(timed(call))
    return figures


def main(args: argparse.Namespace) -> str:
    figures = measure(args.rounds)
    for name, data in figures.items():
        print(summary(name, data))
    p50 = {name: percentile(data, 0.5) for name, data in figures.items()}
    return (
        f"card_signatures: ecdsa_sign_p50_ms={p50['ecdsa_sign']:.3f} "
        f"sm2_sign_p50_ms={p50['sm2_sign']:.3f} ecdsa_verify_p50_ms={p50['ecdsa_verify']:.3f} "
        f"sm2_verify_p50_ms={p50['sm2_verify']:.3f} "
        f"sign_ratio={p50['sm2_sign'] / p50['ecdsa_sign']:.1f} "
        f"verify_ratio={p50['sm2_verify'] / p50['ecdsa_verify']:.1f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    print(main(parser.parse_args()))
