"""The customer-service message API (and the custom menu, and the images of a human chat:
media/get for a user's, media/upload for an agent's), with token refresh on expiry.

Errors that matter to the caller become exceptions: ``QuotaSpent`` for 45015 (the user's 48-hour
window is over) and 45047 (five messages since the user's last one), so the message is kept for
the user's next message. 40001 / 42001 (the token is invalid or expired, e.g. another process
refreshed it) refresh the token and retry once.
"""

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from integrations.wechat.token import AccessTokens
from queue_service.images.upload import read_capped

log = logging.getLogger(__name__)

TOKEN_INVALID = frozenset({40001, 40014, 42001})
QUOTA_SPENT = frozenset({45015, 45047})


class WeChatApiError(RuntimeError):
    def __init__(self, errcode: int | None, errmsg: str) -> None:
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode = errcode


class QuotaSpent(WeChatApiError):
    """The user must send a message before the account may write to them again."""


class WeChatApi:
    def __init__(self, http: httpx.AsyncClient, tokens: AccessTokens, api_base: str) -> None:
        self._http = http
        self._tokens = tokens
        self._api_base = api_base.rstrip("/")

    async def send_text(self, openid: str, text: str) -> None:
        await self._post(
            "/cgi-bin/message/custom/send",
            {"touser": openid, "msgtype": "text", "text": {"content": text}},
        )

    async def send_image(self, openid: str, media_id: str) -> None:
        await self._post(
            "/cgi-bin/message/custom/send",
            {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}},
        )

    async def create_menu(self, menu: dict[str, Any]) -> None:
        await self._post("/cgi-bin/menu/create", menu)

    async def upload_image(self, data: bytes, filename: str, mime: str) -> str:
        """A temporary image (kept by WeChat for 3 days): its media_id, for an image message."""

        async def upload(token: str) -> dict[str, Any]:
            response = await self._http.post(
                f"{self._api_base}/cgi-bin/media/upload",
                params={"access_token": token, "type": "image"},
                files={"media": (filename, data, mime)},
            )
            return response.json()

        answer = await self._call(upload)
        media_id = answer.get("media_id")
        if not isinstance(media_id, str) or not media_id:
            raise WeChatApiError(None, "upload answered without a media_id")
        return media_id

    async def media(self, media_id: str, max_bytes: int) -> bytes:
        """A user's image by its MediaId (media/get), refused (ImageRefused, 413) as soon as it
        is larger than `max_bytes`; WeChat answers JSON instead of the file when it refuses."""
        url = f"{self._api_base}/cgi-bin/media/get"

        async def get(token: str) -> dict[str, Any]:
            params = {"access_token": token, "media_id": media_id}
            async with self._http.stream("GET", url, params=params) as response:
                declared = response.headers.get("content-length")
                body = await read_capped(response.aiter_bytes(), declared, max_bytes)
                if response.headers.get("content-type", "").startswith(
                    ("application/json", "text/plain")
                ):
                    return json.loads(body)
                return {"data": body}

        return (await self._call(get))["data"]

    async def _post(self, path: str, body: dict[str, Any]) -> None:
        async def post(token: str) -> dict[str, Any]:
            response = await self._http.post(
                f"{self._api_base}{path}",
                params={"access_token": token},
                # WeChat wants the characters, not \\u escapes.
                content=_json(body),
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
            return response.json()

        await self._call(post)

    async def _call(self, request: Callable[[str], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        """The request's answer with the access token; a token WeChat calls invalid is
        refreshed and the request made once more."""
        token = await self._tokens.get()
        for attempt in (1, 2):
            try:
                answer = await request(token)
            except (httpx.HTTPError, ValueError) as exc:
                raise WeChatApiError(None, f"request failed: {exc}") from exc
            errcode = answer.get("errcode", 0)
            if errcode == 0:
                return answer
            if errcode in TOKEN_INVALID and attempt == 1:
                log.info("wechat token refused, refreshing", extra={"errcode": errcode})
                token = await self._tokens.get(stale=token)
                continue
            if errcode in QUOTA_SPENT:
                raise QuotaSpent(errcode, answer.get("errmsg", ""))
            raise WeChatApiError(errcode, answer.get("errmsg", ""))
        raise AssertionError("unreachable")


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()
