"""The host portal's token: a JWT (HS256, shared secret) naming the logged-in user.

The portal (the Single Window's own, or the demo portal at /portal/demo) signs a short-lived
token for its logged-in user; the web chat page hands it to the hub over its websocket, and the
portal's back end presents it to ask for a bind code. Claims:

    iss   the portal (SWA_PORTAL_ISSUER)             required
    aud   this service (SWA_PORTAL_AUDIENCE, "swa")  required unless the setting is empty
    sub   the records owner: consumer or enterprise id  required
    iat, exp                                          required, at most
                                                      SWA_PORTAL_MAX_TOKEN_TTL_S apart
    kind  "person" (default) or "enterprise"
    name  what to call the user (a person's name, an enterprise user's name)   required
    enterprise_name                                   required for an enterprise user

`aud` keeps a token the portal signed for another of its services from being accepted here; the
maximum lifetime bounds how long a stolen token is good for, whatever `exp` the portal chose.
Every way a token can be wrong has its own reason, for the logs; users are told one polite
sentence (TOKEN_REFUSED) whatever the reason, so the answer says nothing to someone probing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt

from kernel.claims import Identity, Kind, Source
from queue_service.identity.texts import TOKEN_REFUSED
from queue_service.settings import Settings

ALGORITHM = "HS256"
# A portal token is a few hundred characters; anything much longer is not one of ours.
MAX_TOKEN_CHARS = 4096
# Clock difference tolerated between the portal and the hub.
LEEWAY_S = 30
# The audience a token must name, and its longest lifetime, unless configured otherwise.
AUDIENCE = "swa"
MAX_TTL_S = 3600
# Longest subject, name and enterprise name accepted (they end up in every signed turn).
MAX_CLAIM_CHARS = 100
# HS256 keys shorter than the hash are weak (RFC 7518 section 3.2).
MIN_SECRET_BYTES = 32


class PortalTokenError(ValueError):
    """A token we do not accept; `reason` is a short code for the logs (never the token)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.user_message = TOKEN_REFUSED


@dataclass(frozen=True)
class PortalLogin:
    """A verified token: who, and until when (epoch seconds) the portal vouches for them."""

    identity: Identity
    expires_at: int


def _text_claim(claims: dict[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value.strip():
        raise PortalTokenError("missing_claim", name)
    value = value.strip()
    if len(value) > MAX_CLAIM_CHARS:
        raise PortalTokenError("bad_claim", f"{name} is too long")
    return value


class PortalTokens:
    def __init__(
        self,
        secret: str,
        issuer: str,
        audience: str = AUDIENCE,
        max_ttl_s: int = MAX_TTL_S,
        leeway_s: int = LEEWAY_S,
    ) -> None:
        """`audience` empty: tokens are accepted whatever their `aud` (a portal without one)."""
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"the portal JWT secret needs at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self.issuer = issuer
        self.audience = audience
        self._max_ttl_s = max_ttl_s
        self._leeway_s = leeway_s

    @classmethod
    def from_settings(cls, settings: Settings) -> PortalTokens:
        return cls(
            settings.portal_jwt_secret.get_secret_value(),
            settings.portal_issuer,
            settings.portal_audience,
            settings.portal_max_token_ttl_s,
        )

    def verify(self, token: object) -> PortalLogin:
        """The identity a token vouches for; raises PortalTokenError otherwise."""
        if not isinstance(token, str) or not token:
            raise PortalTokenError("malformed", "not a string")
        if len(token) > MAX_TOKEN_CHARS:
            raise PortalTokenError("too_long", f"{len(token)} characters")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as exc:
            raise PortalTokenError("malformed", str(exc)) from exc
        if header.get("alg") != ALGORITHM:
            # "none" among them: only the algorithm we share a secret for is accepted.
            raise PortalTokenError("bad_algorithm", repr(header.get("alg"))[:20])
        required = ["exp", "iat", "sub", "iss", *(["aud"] if self.audience else [])]
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                audience=self.audience or None,
                leeway=self._leeway_s,
                options={"require": required, "verify_aud": bool(self.audience)},
            )
        except jwt.InvalidSignatureError as exc:
            raise PortalTokenError("bad_signature") from exc
        except jwt.ExpiredSignatureError as exc:
            raise PortalTokenError("expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise PortalTokenError("not_yet_valid") from exc
        except jwt.InvalidIssuerError as exc:
            raise PortalTokenError("wrong_issuer") from exc
        except jwt.InvalidAudienceError as exc:
            raise PortalTokenError("wrong_audience") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise PortalTokenError("missing_claim", exc.claim) from exc
        except jwt.InvalidTokenError as exc:
            raise PortalTokenError("malformed", type(exc).__name__) from exc
        # PyJWT has checked both are integers (or their strings) and that iat is not ahead.
        lifetime = int(claims["exp"]) - int(claims["iat"])
        if lifetime > self._max_ttl_s:
            raise PortalTokenError("too_long_lived", f"{lifetime} s")
        return PortalLogin(self._identity(claims), int(claims["exp"]))

    @staticmethod
    def _identity(claims: dict[str, Any]) -> Identity:
        try:
            kind = Kind(claims.get("kind", Kind.PERSON.value))
        except ValueError as exc:
            raise PortalTokenError("bad_claim", "kind") from exc
        subject = _text_claim(claims, "sub")
        name = _text_claim(claims, "name")
        enterprise_name = None
        if kind is Kind.ENTERPRISE:
            enterprise_name = _text_claim(claims, "enterprise_name")
        return Identity(
            kind=kind,
            subject=subject,
            name=name,
            source=Source.PORTAL,
            enterprise_name=enterprise_name,
        )

    def mint(self, identity: Identity, ttl_s: int, now: float | None = None) -> str:
        """A token as the portal would sign it: for the demo portal and for tests."""
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            **({"aud": self.audience} if self.audience else {}),
            "sub": identity.subject,
            "iat": issued,
            "exp": issued + ttl_s,
            "kind": identity.kind.value,
            "name": identity.name,
        }
        if identity.enterprise_name:
            claims["enterprise_name"] = identity.enterprise_name
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)
