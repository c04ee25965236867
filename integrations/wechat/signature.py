"""Callback signatures: sha1 over the sorted strings, compared in constant time.

Plain mode signs token/timestamp/nonce (``signature``); safe mode also signs the ciphertext
(``msg_signature`` over token/timestamp/nonce/Encrypt). Both are the same function of a
different list of strings. A push whose timestamp is more than ``MAX_SKEW_S`` away from now
is refused too: a captured callback replayed later carries a valid signature, and the MsgId
record that drops WeChat's own retries lasts only minutes.
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
