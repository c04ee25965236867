"""The portal's side of identity: bind codes for its users, and the demo portal.

  POST /portal/api/bind-codes   Authorization: Bearer <portal token>
                                -> {"code": "12345678", "expires_in": 600,
                                    "telegram_link": "https://t.me/<bot>?start=12345678"}
                                   (the link only when the Telegram channel is on)
  GET  /portal/demo             the demo portal page (in demo mode only: SWA_DEMO_MODE)
  POST /portal/demo/login       {"account": "<demo account id>"} -> {"token": ..., ...}

The demo login mints a token for any demo account without a password: it stands in for the
host portal's own login, and is not mounted at all outside demo mode.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, status
from fastapi.responses import FileResponse, JSONResponse
from redis.exceptions import RedisError

from kernel.claims import Identity
from queue_service.identity import texts
from queue_service.identity.bind_codes import CODE_TTL_S, TooManyCodes
from queue_service.identity.demo import DEMO_ACCOUNTS, DEMO_TOKEN_TTL_S, demo_account
from queue_service.identity.portal import PortalTokenError
from queue_service.identity.service import Identities
from queue_service.services import part
from queue_service.static_files import RevalidatedFiles

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
# Tokens and codes are credentials: no cache on the way may keep them.
NO_STORE = {"Cache-Control": "no-store"}

api = APIRouter(prefix="/portal/api", tags=["portal"])
demo = APIRouter(prefix="/portal/demo", tags=["demo portal"])


def install(app: FastAPI, demo_mode: bool) -> None:
    app.include_router(api)
    if demo_mode:
        app.mount("/portal/static", RevalidatedFiles(directory=STATIC_DIR), name="portal-static")
        app.include_router(demo)


def identity_view(identity: Identity, expires_at: int | None = None) -> dict[str, Any]:
    """An identity as pages see it."""
    return {
        "kind": identity.kind.value,
        "name": identity.name,
        "enterprise_name": identity.enterprise_name,
        "label": identity.label,
        "expires_at": expires_at,
    }


@dataclass(frozen=True)
class BindLinks:
    """How a bind code is used in one tap where a channel offers it (Telegram's deep link,
    `https://t.me/<bot>?start=<code>`); registered by the composition root, which knows the
    channels this package may not import."""

    telegram: Callable[[str], str | None] | None = None


Links = Annotated[BindLinks, Depends(part(BindLinks))]
IdentitiesDep = Annotated[Identities, Depends(part(Identities))]


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@api.post("/bind-codes")
async def issue_bind_code(
    request: Request, identities: IdentitiesDep, links: Links
) -> JSONResponse:
    """A one-time code with which the token's user binds a WeChat or Telegram account."""
    try:
        code = await identities.issue_code(_bearer(request))
    except PortalTokenError as exc:
        log.info("bind code refused", extra={"reason": exc.reason})
        return JSONResponse(
            {"detail": texts.TOKEN_REFUSED},
            status.HTTP_401_UNAUTHORIZED,
            headers={"WWW-Authenticate": "Bearer", **NO_STORE},
        )
    except TooManyCodes:
        return JSONResponse({"detail": texts.TOO_MANY_CODES}, status.HTTP_429_TOO_MANY_REQUESTS)
    except RedisError as exc:
        log.warning("bind code not issued", extra={"error": type(exc).__name__})
        return JSONResponse({"detail": texts.BIND_UNAVAILABLE}, status.HTTP_503_SERVICE_UNAVAILABLE)
    issued: dict[str, Any] = {"code": code, "expires_in": CODE_TTL_S}
    link = links.telegram(code) if links.telegram is not None else None
    if link:
        issued["telegram_link"] = link
    return JSONResponse(issued, headers=NO_STORE)


@demo.get("", include_in_schema=False)
async def demo_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "demo.html")


@demo.get("/accounts")
async def demo_accounts() -> dict[str, Any]:
    return {
        "accounts": [{"account": a.subject, **identity_view(a)} for a in DEMO_ACCOUNTS],
    }


@demo.post("/login")
async def demo_login(request: Request, identities: IdentitiesDep) -> JSONResponse:
    """Log in as a demo account: a portal token, minted here as the host portal would."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    account = demo_account(body.get("account")) if isinstance(body, dict) else None
    if account is None:
        return JSONResponse(
            {"detail": texts.NO_SUCH_ACCOUNT}, status.HTTP_422_UNPROCESSABLE_CONTENT
        )
    token = identities.tokens.mint(account, DEMO_TOKEN_TTL_S)
    return JSONResponse(
        {"token": token, "expires_in": DEMO_TOKEN_TTL_S, "identity": identity_view(account)},
        headers=NO_STORE,
    )
