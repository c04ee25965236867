"""One-time bind codes: how a WeChat or Telegram account proves it belongs to a portal user.

The portal user (signed in, token verified) asks for a code; they send "绑定 <code>" in the
other channel within ten minutes; the code is consumed by the first attempt that names it
(GETDEL), so it binds one account at most. Issuing is limited per portal user, so a token cannot
fill Redis with codes.

Guessing is limited three ways, each counted before the code is looked at:
- per conversation, MAX_ATTEMPTS tries in ATTEMPT_WINDOW_S and MAX_ATTEMPTS_PER_DAY in a day
  (a success resets both): one account guesses slowly;
- service-wide, at most `failure_budget` failed tries in FAILURE_WINDOW_S, whatever the number of
  accounts: many accounts (new Telegram accounts, fresh WeChat openids) guessing in parallel get
  no more than one does. Every try is counted up front in one atomic step (parallel guesses
  cannot all read the same count and pass) and a successful one is given back, so only failures
  spend the budget.

Why the budget makes guessing hopeless: a code is one of 10^8, and at most L are live at once
(each lives ten minutes and is spent by its first use; say L = 300, far above a busy day). One
guess hits with probability L / 10^8 = 3 x 10^-6; with the default budget of 30 failures per ten
minutes, an attacker gets at most 30 guesses a window: P <= 30 x 300 / 10^8 = 9 x 10^-5 (about 1
in 11,000) per ten minutes, and about 1.3 % a day for one who keeps the budget spent around the
clock, which pauses binding for everyone and logs a warning each time: loud, not quiet. Without
the budget, 10,000 accounts at 5 tries each had P = 0.15 in ten minutes.

When the budget is spent, binding pauses for everyone until its window ends, a right code
included: the safer trade-off. Letting a right code through would let every guess through (a
guess is a right code the attacker does not know yet), and the budget would stop nothing. The
price is that whoever keeps spending the budget keeps binding paused (a denial of service of
binding only: the chat, existing bindings and portal logins are untouched); users are told when
to try again, the refused code is not spent, and the warnings show the attack.

Redis layout:
  swa:bind:code:<code>             JSON {"claims": {...}, "exp": epoch s}; expires with the code
  swa:limit:bind-attempts:<conversation>      tries in ten minutes (queue_service/limits.py)
  swa:limit:bind-attempts-day:<conversation>  tries in a day
  swa:limit:bind-failures                     failed tries service-wide in ten minutes
  swa:limit:bind-issued:<subject>             codes issued to a portal user in the current window
"""

from __future__ import annotations

import json
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from redis.asyncio import Redis

from kernel.claims import Identity
from queue_service.limits import WindowLimit

CODE_DIGITS = 8
CODE_TTL_S = 600
MAX_ATTEMPTS = 5
ATTEMPT_WINDOW_S = 600
MAX_ATTEMPTS_PER_DAY = 20
DAY_S = 24 * 3600
# Failed tries service-wide per window (SWA_BIND_FAILURE_BUDGET); see the module docstring.
FAILURE_BUDGET = 30
FAILURE_WINDOW_S = 600
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


class Refused(StrEnum):
    """Why a bind attempt is not even looked at."""

    TOO_MANY = "too_many"  # this conversation, in ten minutes
    TOO_MANY_TODAY = "too_many_today"  # this conversation, in a day
    PAUSED = "paused"  # the service-wide failure budget is spent


class BindCodes:
    def __init__(self, redis: Redis, failure_budget: int = FAILURE_BUDGET) -> None:
        self._redis = redis
        self._issued = WindowLimit(redis, "bind-issued", MAX_ISSUED, ISSUE_WINDOW_S)
        self._attempts = WindowLimit(redis, "bind-attempts", MAX_ATTEMPTS, ATTEMPT_WINDOW_S)
        self._daily = WindowLimit(redis, "bind-attempts-day", MAX_ATTEMPTS_PER_DAY, DAY_S)
        self._failures = WindowLimit(redis, "bind-failures", failure_budget, FAILURE_WINDOW_S)

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

    async def attempt(self, conversation_id: str) -> Refused | None:
        """Count one try; why it may not be made, or None when the code may be looked at.

        A try refused by one limit spends no other: a pause does not use up a user's own tries,
        and an account over its own limit does not spend the service-wide budget.
        """
        if not await self._failures.hit():
            return Refused.PAUSED
        if not await self._attempts.hit(conversation_id):
            refused = Refused.TOO_MANY
        elif not await self._daily.hit(conversation_id):
            refused = Refused.TOO_MANY_TODAY
        else:
            return None
        await self._failures.forgive()
        return refused

    async def succeeded(self, conversation_id: str) -> None:
        """A try that bound: it was no failure, and the conversation starts afresh."""
        await self._failures.forgive()
        await self._attempts.reset(conversation_id)
        await self._daily.reset(conversation_id)

    async def retry_after(self, refused: Refused, conversation_id: str) -> int:
        """Seconds until a refused conversation may try again."""
        if refused is Refused.PAUSED:
            return await self._failures.retry_after()
        limit = self._daily if refused is Refused.TOO_MANY_TODAY else self._attempts
        return await limit.retry_after(conversation_id)

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
