"""Callback signatures: sha1 over the sorted strings, compared in constant time.

Plain mode signs token/timestamp/nonce (``signature``); safe mode also signs the ciphertext
(``msg_signature`` over token/timestamp/nonce/Encrypt). Both are the same function of a
different list of strings.
"""

import hashlib
import hmac


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def valid(expected_parts: tuple[str, ...], signature: str | None) -> bool:
    if not signature:
        return False
    return hmac.compare_digest(sign(*expected_parts).encode(), signature.lower().encode())
