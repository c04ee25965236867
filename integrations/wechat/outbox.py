"""Messages to a user outside a passive reply, within the customer-service quota.

WeChat lets an account send a user at most five customer-service messages per message the
user sends, within 48 hours of it. ``swa:wechat:quota:<openid>`` counts what is left (set to 5
on each user message, expiring with the window). The last message of a quota carries a note
asking the user to send anything to continue; what cannot be sent then (no quota, or WeChat
answers 45015/45047) is kept in ``swa:wechat:pending:<openid>`` and handed back on the user's
next message, which carries it in its own reply. Everything sent is in the transcript anyway.
"""

import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from integrations.wechat.api import QuotaSpent, WeChatApi, WeChatApiError
from integrations.wechat.texts import CONTINUE, IMAGE_KEPT
from queue_service.images.store import Image

log = logging.getLogger(__name__)

QUOTA_PREFIX = "swa:wechat:quota:"
PENDING_PREFIX = "swa:wechat:pending:"
QUOTA = 5
WINDOW_S = 48 * 3600
# Kept for the next user message at most (the oldest are dropped; the transcript has them).
MAX_PENDING = 20

# Take one message of the quota: the count left afterwards, or -1 when none was left.
_TAKE = """
local left = tonumber(redis.call('GET', KEYS[1]) or '0')
if left <= 0 then return -1 end
redis.call('DECR', KEYS[1])
return left - 1
"""


class Outbox:
    def __init__(self, redis: Redis, api: WeChatApi) -> None:
        self._redis = redis
        self._api = api

    async def user_spoke(self, openid: str) -> list[str]:
        """A new quota for the user; the messages kept for them, to go with the reply."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(QUOTA_PREFIX + openid, QUOTA, ex=WINDOW_S)
            pipe.lrange(PENDING_PREFIX + openid, 0, -1)
            pipe.delete(PENDING_PREFIX + openid)
            _, pending, _ = await pipe.execute()
        return list(pending)

    async def send(self, openid: str, text: str) -> bool:
        """Send now if the quota allows, else keep for later; True when sent."""

        async def send_now(last: bool) -> None:
            await self._api.send_text(openid, f"{text}\n\n{CONTINUE}" if last else text)

        return await self._spend(openid, text, send_now)

    async def send_image(self, openid: str, image: Image) -> bool:
        """An agent's image: uploaded as temporary media, then sent as an image message, if the
        quota allows; else a note in its place is kept for the user's next message."""

        async def send_now(last: bool) -> None:
            media_id = await self._api.upload_image(image.data, image.filename, image.kind.mime)
            await self._api.send_image(openid, media_id)

        return await self._spend(openid, IMAGE_KEPT, send_now)

    async def _spend(
        self, openid: str, kept: str, send_now: Callable[[bool], Awaitable[None]]
    ) -> bool:
        """One message of the quota for `send_now` (told whether it is the last one); `kept`
        waits for the user's next message when there is none."""
        left = await self._redis.eval(_TAKE, 1, QUOTA_PREFIX + openid)
        if left < 0:
            await self._keep(openid, kept)
            return False
        try:
            await send_now(left == 0)
        except QuotaSpent as exc:
            log.info("wechat quota spent", extra={"errcode": exc.errcode})
            await self._redis.set(QUOTA_PREFIX + openid, 0, ex=WINDOW_S)
            await self._keep(openid, kept)
            return False
        except WeChatApiError as exc:
            # Not lost: the transcript has it.
            log.warning("wechat message not sent", extra={"error": str(exc)})
            return False
        return True

    async def _keep(self, openid: str, text: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(PENDING_PREFIX + openid, text)
            pipe.ltrim(PENDING_PREFIX + openid, -MAX_PENDING, -1)
            pipe.expire(PENDING_PREFIX + openid, WINDOW_S)
            await pipe.execute()
