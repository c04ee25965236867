"""One-time bind codes: how a WeChat or Telegram account proves it belongs to a portal user.

The portal user (signed in, token verified) asks for a code; they send "绑定 <code>" in the
other channel within ten minutes; the code is consumed by the first attempt that names it
(GETDEL), so it binds one account at most. Guessing is limited per conversation: after
MAX_ATTEMPTS tries without success in ATTEMPT_WINDOW_S, even a right code waits. Issuing is
limited per portal user too, so a token cannot fill Redis with codes.

Redis layout:
  swa:bind:code:<code>             JSON {"claims": {...}, "exp": epoch s}; expires with the code
  swa:limit:bind-attempts:<conversation>  tries since the last success (queue_service/limits.py)
  swa:limit:bind-issued:<subject>         codes issued to a portal user in the current window
"""

from __future__ import annotations

import json
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass

from redis.asyncio import Redis

from queue_service.identity.claims import Identity
from queue_service.limits import WindowLimit

CODE_DIGITS = 8
CODE_TTL_S = 600
MAX_ATTEMPTS = 5
ATTEMPT_WINDOW_S = 600
MAX_ISSUED = 10
ISSUE_WINDOW_S = 600

_BIND = re.compile(r"^/?(?:绑定|bind)[\s:：]*([\d\s-]*)$", re.IGNORECASE)
_UNBIND = re.compile(r"^/?(?:解除绑定|解绑|取消绑定|unbind)$", re.IGNORECASE)


@dataclass(frozen=True)
class BindCommand:
    """ "绑定 12345678": `code` as digits only ("" when none was given)."""

    code: str


@dataclass(frozen=True)
class UnbindCommand:
    pass


def parse_command(text: str) -> BindCommand | UnbindCommand | None:
    """A bind or unbind command in a user's message; None for anything else.

    Full-width digits, letters and spaces (what a Chinese input method types) are folded first.
    """
    folded = unicodedata.normalize("NFKC", text).strip()
    if _UNBIND.match(folded):
        return UnbindCommand()
    matched = _BIND.match(folded)
    if matched is None:
        return None
    digits = re.sub(r"[\s-]", "", matched.group(1))
    if not digits and not folded.startswith("/") and folded.lower() != "bind":
        return None  # a bare "绑定" is a question for the bot (绑定手机号…), not a command
    return BindCommand(digits)


def masked(command: BindCommand) -> str:
    """How the command is written to the transcript: the code is a credential until used."""
    return f"绑定 {'*' * len(command.code)}" if command.code else "绑定"


@dataclass(frozen=True)
class IssuedCode:
    code: str
    identity: Identity
    expires_at: int


class TooManyCodes(Exception):
    """A portal user asked for too many codes in the window."""


class BindCodes:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._issued = WindowLimit(redis, "bind-issued", MAX_ISSUED, ISSUE_WINDOW_S)
        self._attempts = WindowLimit(redis, "bind-attempts", MAX_ATTEMPTS, ATTEMPT_WINDOW_S)

    async def issue(self, identity: Identity) -> str:
        if not await self._issued.hit(identity.subject):
            raise TooManyCodes(identity.subject)
        body = json.dumps(
            {"claims": identity.to_claims(), "exp": int(time.time()) + CODE_TTL_S},
            ensure_ascii=False,
        )
        while True:
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
            if await self._redis.set(_code_key(code), body, ex=CODE_TTL_S, nx=True):
                return code

    async def attempt(self, conversation_id: str) -> bool:
        """Count one try for the conversation; False when it has had its share."""
        return await self._attempts.hit(conversation_id)

    async def succeeded(self, conversation_id: str) -> None:
        await self._attempts.reset(conversation_id)

    async def consume(self, code: str) -> IssuedCode | None:
        """What a valid, unused code was issued for; the code is gone afterwards."""
        raw = await self._redis.getdel(_code_key(code))
        if raw is None:
            return None
        body = json.loads(raw)
        return IssuedCode(code, Identity.from_claims(body["claims"]), int(body["exp"]))

    async def restore(self, issued: IssuedCode) -> None:
        """Put a consumed code back (the binding could not be stored), until its own expiry."""
        if issued.expires_at > time.time():
            body = json.dumps(
                {"claims": issued.identity.to_claims(), "exp": issued.expires_at},
                ensure_ascii=False,
            )
            await self._redis.set(_code_key(issued.code), body, exat=issued.expires_at, nx=True)


def _code_key(code: str) -> str:
    return f"swa:bind:code:{code}"
