"""A signed callback URL is good for one body: its timestamp and nonce are remembered while fresh.

In plain mode the URL's signature covers token, timestamp and nonce, not the body: whoever sees
one callback URL (a proxy's log, a captured request) could post any message as any openid with it
for as long as its timestamp is accepted. So each (timestamp, nonce, signature) is remembered with
a digest of the body it came with, until the timestamp is no longer fresh:
- unseen: remembered, and the push goes on;
- seen with the same body: WeChat retrying (it sends the same URL and body again when it had no
  answer within 5 s, up to three times): the push goes on to the MsgId record (replay.py), which
  answers it with the first delivery's answer and does not process it again;
- seen with another body: a captured URL reused for a forged message: refused (403).
Safe mode signs the ciphertext too, so there another body is refused before this; the record is
kept the same way in both modes, one path for both.

Redis: swa:wechat:nonce:<sha256 of timestamp, nonce, signature> -> sha256 of the body (hex),
expiring when the timestamp stops being fresh (signature.fresh_for).
"""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from integrations.wechat.signature import fresh_for

PREFIX = "swa:wechat:nonce:"

# Remember the body's digest unless the pair is known; then say whether it came with that body.
_ADMIT = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then return 1 end
return 0
"""


def _key(timestamp: str, nonce: str, signature: str) -> str:
    pair = "\n".join((timestamp, nonce, signature.lower()))
    return PREFIX + hashlib.sha256(pair.encode()).hexdigest()


class Nonces:
    def __init__(self, redis: Redis) -> None:
        self._admit = redis.register_script(_ADMIT)

    async def admit(self, timestamp: str, nonce: str, signature: str, body: bytes) -> bool:
        """True for a first delivery or WeChat's retry of it; False for the same URL carrying
        another body. The timestamp must have been checked fresh."""
        digest = hashlib.sha256(body).hexdigest()
        ttl_s = fresh_for(timestamp)
        keys = [_key(timestamp, nonce, signature)]
        return bool(await self._admit(keys=keys, args=[digest, ttl_s]))
