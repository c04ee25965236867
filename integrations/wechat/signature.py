"""Callback signatures: sha1 over the sorted strings, compared in constant time.

Plain mode signs token/timestamp/nonce (``signature``); safe mode also signs the ciphertext
(``msg_signature`` over token/timestamp/nonce/Encrypt). Both are the same function of a
different list of strings. A callback whose timestamp is more than ``MAX_SKEW_S`` away from now
is refused too: a captured callback replayed later carries a valid signature. Within that window
a timestamp and nonce are good for one body only (nonces.py).
"""

import hashlib
import hmac
import time

MAX_SKEW_S = 300


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def valid(expected_parts: tuple[str, ...], signature: str | None) -> bool:
    if not signature:
        return False
    return hmac.compare_digest(sign(*expected_parts).encode(), signature.lower().encode())


def fresh(timestamp: str, max_skew_s: int = MAX_SKEW_S) -> bool:
    return timestamp.isdecimal() and abs(time.time() - int(timestamp)) <= max_skew_s


def fresh_for(timestamp: str, max_skew_s: int = MAX_SKEW_S) -> int:
    """Whole seconds a fresh timestamp stays acceptable (at least 1): a timestamp ahead of our
    clock stays fresh longer than the window."""
    return max(1, int(timestamp) + max_skew_s - int(time.time()) + 1)
