"""The hub's identity desk: portal logins, bind and unbind commands, and the signed metadata.

Tokens and bind codes are credentials: neither is ever logged, and a bind command is written to
the transcript with its code masked.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from kernel.messages import InboundMessage, OutboundMessage, Role
from kernel.signing import sign
from queue_service.identity import texts
from queue_service.identity.bind_codes import (
    CODE_DIGITS,
    BindCodes,
    BindCommand,
    Refused,
    UnbindCommand,
    masked,
    parse_command,
)
from queue_service.identity.portal import PortalTokenError, PortalTokens
from queue_service.identity.store import IdentityStore, Verified, bindable

if TYPE_CHECKING:
    from queue_service.identity.card_login import CardDesk

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommandAnswer:
    """The hub's answer to a bind or unbind command: the user's line as recorded, the replies."""

    user_text: str
    replies: list[OutboundMessage]


def _system(text: str) -> list[OutboundMessage]:
    return [OutboundMessage(role=Role.SYSTEM, text=text)]


class Identities:
    def __init__(
        self,
        store: IdentityStore,
        codes: BindCodes,
        tokens: PortalTokens,
        signing_secret: str,
        portal_url: str,
        cards: CardDesk | None = None,
    ) -> None:
        self.store = store
        # Card-media logins (web chat with the card bridge); None where not set up.
        self.cards = cards
        self.codes = codes
        self.tokens = tokens
        self._secret = signing_secret
        self._portal_url = portal_url

    async def current(self, conversation_id: str) -> Verified | None:
        return await self.store.current(conversation_id)

    async def metadata(self, conversation_id: str) -> dict[str, Any] | None:
        """The signed identity for a turn to Rasa; None for an anonymous user.

        A card identity is used only while its card is still active (checked at most every
        STATUS_CHECK_S, card_login.py). Failing to read either is not failing the turn: the user
        is answered as anonymous.
        """
        try:
            verified = await self.store.current(conversation_id)
            if verified is not None and self.cards is not None:
                verified = await self.cards.still_valid(conversation_id, verified)
        except (RedisError, SQLAlchemyError) as exc:
            log.warning(
                "identity unavailable",
                extra={"conversation_id": conversation_id, "error": type(exc).__name__},
            )
            return None
        if verified is None:
            return None
        return sign(verified.identity, conversation_id, self._secret)

    async def log_in(self, conversation_id: str, token: object) -> Verified:
        """Verify a portal token and hold its identity for the conversation until it expires.

        Raises PortalTokenError (the conversation is then anonymous: a page that sends a token
        means a new login, and a failed one must not leave the previous user in place).
        """
        try:
            login = self.tokens.verify(token)
            if login.expires_at <= time.time():
                # Within the clock leeway: valid, but nothing left to hold it for.
                raise PortalTokenError("expired")
        except PortalTokenError as exc:
            log.info(
                "portal token rejected",
                extra={"conversation_id": conversation_id, "reason": exc.reason},
            )
            await self.log_out(conversation_id)
            raise
        await self.store.log_in(conversation_id, login.identity, login.expires_at)
        if self.cards is not None:
            await self.cards.forget(conversation_id)  # this login replaces a card login too
        log.info(
            "portal login",
            extra={"conversation_id": conversation_id, "kind": login.identity.kind.value},
        )
        return Verified(login.identity, login.expires_at)

    async def log_out(self, conversation_id: str) -> None:
        await self.store.log_out(conversation_id)
        if self.cards is not None:
            # A logged-out portal user must not come back when a card is taken out later.
            await self.cards.forget(conversation_id)

    async def issue_code(self, token: object) -> str:
        """A bind code for the token's portal user; raises PortalTokenError, TooManyCodes."""
        login = self.tokens.verify(token)
        return await self.codes.issue(login.identity)

    async def command(self, inbound: InboundMessage) -> CommandAnswer | None:
        """The answer to a bind or unbind command; None when the message is not one."""
        if inbound.payload:
            return None  # a button click: never a command
        parsed = parse_command(inbound.text)
        if parsed is None:
            return None
        conversation_id = inbound.conversation_id
        if isinstance(parsed, UnbindCommand):
            user_text = inbound.text.strip()
            if not bindable(conversation_id):
                return CommandAnswer(user_text, _system(texts.WEBCHAT_UNBIND))
            return CommandAnswer(user_text, await self._unbind(conversation_id))
        user_text = masked(parsed)
        if not bindable(conversation_id):
            try:
                verified = await self.store.current(conversation_id)
            except RedisError:
                verified = None
            if verified is not None:
                text = texts.WEBCHAT_LOGGED_IN.format(who=verified.identity.addressed_as)
            else:
                text = texts.WEBCHAT_BIND.format(url=self._portal_url)
            return CommandAnswer(user_text, _system(text))
        return CommandAnswer(user_text, await self._bind(conversation_id, parsed))

    async def _bind(self, conversation_id: str, command: BindCommand) -> list[OutboundMessage]:
        if not command.code:
            return _system(texts.BIND_HELP.format(url=self._portal_url))
        if len(command.code) != CODE_DIGITS:
            return _system(texts.CODE_FORMAT)
        issued = None
        try:
            refused = await self.codes.attempt(conversation_id)
            if refused is not None:
                return await self._refused(conversation_id, refused)
            issued = await self.codes.consume(command.code)
            if issued is None:
                log.info("bind code refused", extra={"conversation_id": conversation_id})
                return _system(texts.BAD_CODE)
            bound = await self.store.bind(conversation_id, issued.identity)
            await self.codes.succeeded(conversation_id)
        except (RedisError, SQLAlchemyError) as exc:
            log.warning(
                "binding failed",
                extra={"conversation_id": conversation_id, "error": type(exc).__name__},
            )
            if issued is not None:
                # The code was taken but nothing was bound: let the user try it again.
                with contextlib.suppress(RedisError):
                    await self.codes.restore(issued)
            return _system(texts.BIND_UNAVAILABLE)
        log.info("channel account bound", extra={"conversation_id": conversation_id})
        return _system(texts.BOUND.format(who=bound.addressed_as))

    async def _refused(self, conversation_id: str, refused: Refused) -> list[OutboundMessage]:
        if refused is Refused.PAUSED:
            log.warning("bind attempts paused: the service-wide failure budget is spent")
        else:
            log.warning(
                "bind attempts exhausted",
                extra={"conversation_id": conversation_id, "limit": refused.value},
            )
        if refused is Refused.TOO_MANY:
            return _system(texts.TOO_MANY)
        wait_s = max(1, await self.codes.retry_after(refused, conversation_id))
        if refused is Refused.TOO_MANY_TODAY:
            return _system(texts.TOO_MANY_TODAY.format(hours=-(-wait_s // 3600)))
        return _system(texts.BIND_PAUSED.format(minutes=-(-wait_s // 60)))

    async def _unbind(self, conversation_id: str) -> list[OutboundMessage]:
        try:
            identity = await self.store.unbind(conversation_id)
        except (RedisError, SQLAlchemyError) as exc:
            log.warning(
                "unbinding failed",
                extra={"conversation_id": conversation_id, "error": type(exc).__name__},
            )
            return _system(texts.BIND_UNAVAILABLE)
        if identity is None:
            return _system(texts.NOT_BOUND)
        log.info("channel account unbound", extra={"conversation_id": conversation_id})
        return _system(texts.UNBOUND.format(who=identity.addressed_as))
