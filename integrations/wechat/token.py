"""The access token, fetched once for all service processes and shared through Redis.

``swa:wechat:token:<appid>`` holds the token until shortly before WeChat's ``expires_in``. A
process that finds none (or was told the cached one is invalid: 40001/42001) takes
``swa:wechat:token-lock:<appid>`` with SET NX; the others wait for the new token instead of
each asking WeChat (every fetch invalidates the previous token after a grace period, so a herd
of refreshes would fight).
"""

import asyncio
import logging
import secrets

import httpx
from redis.asyncio import Redis

log = logging.getLogger(__name__)

PREFIX = "swa:wechat:token:"
LOCK_PREFIX = "swa:wechat:token-lock:"
# Refresh this long before WeChat says the token expires.
MARGIN_S = 300
LOCK_TTL_S = 15
WAIT_S = 10.0

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class TokenUnavailable(RuntimeError):
    """WeChat gave no token (wrong appid/secret, IP not whitelisted, or unreachable)."""


class AccessTokens:
    def __init__(
        self, redis: Redis, http: httpx.AsyncClient, api_base: str, appid: str, secret: str
    ) -> None:
        self._redis = redis
        self._http = http
        self._api_base = api_base.rstrip("/")
        self._appid = appid
        self._secret = secret
        self._key = PREFIX + appid
        self._lock = LOCK_PREFIX + appid

    async def get(self, stale: str | None = None) -> str:
        """A valid token; ``stale`` is one WeChat just refused, which is not returned again."""
        deadline = asyncio.get_running_loop().time() + WAIT_S
        while True:
            cached = await self._redis.get(self._key)
            if cached and cached != stale:
                return cached
            owner = secrets.token_hex(8)
            if await self._redis.set(self._lock, owner, nx=True, ex=LOCK_TTL_S):
                try:
                    # Another process may have refreshed between our read and our lock.
                    cached = await self._redis.get(self._key)
                    if cached and cached != stale:
                        return cached
                    return await self._fetch()
                finally:
                    await self._redis.eval(_RELEASE, 1, self._lock, owner)
            if asyncio.get_running_loop().time() > deadline:
                raise TokenUnavailable("timed out waiting for another process's token refresh")
            await asyncio.sleep(0.1)

    async def _fetch(self) -> str:
        try:
            response = await self._http.get(
                f"{self._api_base}/cgi-bin/token",
                params={
                    "grant_type": "client_credential",
                    "appid": self._appid,
                    "secret": self._secret,
                },
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise TokenUnavailable(f"token request failed: {exc}") from exc
        token, expires_in = body.get("access_token"), body.get("expires_in")
        if not isinstance(token, str) or not isinstance(expires_in, int):
            # The secret never goes in a log line; WeChat's error code and message do.
            raise TokenUnavailable(f"errcode {body.get('errcode')}: {body.get('errmsg')}")
        await self._redis.set(self._key, token, ex=max(expires_in - MARGIN_S, 30))
        log.info("wechat access token refreshed", extra={"expires_in": expires_in})
        return token
