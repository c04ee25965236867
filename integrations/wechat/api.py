"""The customer-service message API (and the custom menu), with token refresh on expiry.

Errors that matter to the caller become exceptions: ``QuotaSpent`` for 45015 (the user's 48-hour
window is over) and 45047 (five messages since the user's last one), so the message is kept for
the user's next message. 40001 / 42001 (the token is invalid or expired, e.g. another process
refreshed it) refresh the token and retry once.
"""

import json
import logging
from typing import Any

import httpx

from integrations.wechat.token import AccessTokens

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

    async def create_menu(self, menu: dict[str, Any]) -> None:
        await self._post("/cgi-bin/menu/create", menu)

    async def _post(self, path: str, body: dict[str, Any]) -> None:
        token = await self._tokens.get()
        for attempt in (1, 2):
            try:
                response = await self._http.post(
                    f"{self._api_base}{path}",
                    params={"access_token": token},
                    # WeChat wants the characters, not \\u escapes.
                    content=_json(body),
                    headers={"Content-Type": "application/json; charset=utf-8"},
                )
                answer = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise WeChatApiError(None, f"request failed: {exc}") from exc
            errcode = answer.get("errcode", 0)
            if errcode == 0:
                return
            if errcode in TOKEN_INVALID and attempt == 1:
                log.info("wechat token refused, refreshing", extra={"errcode": errcode})
                token = await self._tokens.get(stale=token)
                continue
            if errcode in QUOTA_SPENT:
                raise QuotaSpent(errcode, answer.get("errmsg", ""))
            raise WeChatApiError(errcode, answer.get("errmsg", ""))


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()
