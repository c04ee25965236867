"""Safe mode: AES-256-CBC envelopes with wechatpy's own cipher, keys rotated without downtime.

wechatpy's ``PrpCrypto`` does the cipher (key = b64decode(EncodingAESKey + "="), IV = key[:16],
PKCS#7 to 32 bytes, 16 random bytes + length + message + appid). Signatures are checked by
``signature.valid`` (constant time) rather than by wechatpy, which compares with ``!=``. While
the EncodingAESKey is being rotated, a message that does not decrypt with the current key is
tried with the previous one; replies are always encrypted with the current key.
"""

import base64
import binascii
import time

from wechatpy.crypto import PrpCrypto

from integrations.wechat import envelope
from integrations.wechat.signature import sign


class DecryptError(ValueError):
    """The ciphertext does not decrypt to a message for this account with any known key."""


def _key(encoding_aes_key: str) -> bytes:
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError("EncodingAESKey is not base64") from exc
    if len(key) != 32:
        raise ValueError("EncodingAESKey must be 43 characters (32 bytes)")
    return key


class SafeMode:
    def __init__(self, token: str, appid: str, key: str, previous_key: str = "") -> None:
        self._token = token
        self._appid = appid
        self._current = PrpCrypto(_key(key))
        self._all = [self._current] + ([PrpCrypto(_key(previous_key))] if previous_key else [])

    def decrypt(self, ciphertext: str) -> str:
        for crypto in self._all:
            try:
                return crypto.decrypt(ciphertext, self._appid)
            except Exception:  # wrong key or appid: any of padding, struct, unicode errors
                continue
        raise DecryptError("no key decrypts the message for this appid")

    def encrypt_reply(self, xml: str, nonce: str, timestamp: str | None = None) -> str:
        """The passive reply's envelope: Encrypt, MsgSignature, TimeStamp, Nonce."""
        timestamp = timestamp or str(int(time.time()))
        encrypted = self._current.encrypt(xml, self._appid).decode()
        signature = sign(self._token, timestamp, nonce, encrypted)
        return (
            "<xml>"
            f"<Encrypt>{envelope.cdata(encrypted)}</Encrypt>"
            f"<MsgSignature>{envelope.cdata(signature)}</MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp>"
            f"<Nonce>{envelope.cdata(nonce)}</Nonce>"
            "</xml>"
        )
