"""Console login: a password checked against the account, an opaque session token in a cookie.

The cookie is HttpOnly (page scripts never see the token) and SameSite=Strict (no other site can
make a browser use it), and limited to /console. Failed logins are counted per user name and
address, per address, and per user name with a high ceiling (`login_guard`); the password check
runs in the bounded hashing pool, and a full pool answers 429 at once. A session is good only
while the account is still active with the role and password it logged in with.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, WebSocket, status
from pydantic import BaseModel, Field

from queue_service.agents.accounts import RecentAccounts, Role
from queue_service.agents.passwords import HashingBusy
from queue_service.agents.sessions import SessionStore, StaffSession
from queue_service.console import texts
from queue_service.console.login_guard import LoginGuard
from queue_service.deps import Accounts, AppSettings, Queue
from queue_service.handoff.queue import AgentStatus
from queue_service.limits import client_ip
from queue_service.services import part, services_of

COOKIE = "swa_console"
COOKIE_PATH = "/console"
# How soon to try again when every hashing thread is busy.
BUSY_RETRY_S = 2



router = APIRouter(prefix="/console/api", tags=["console"])


class Login(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


def _sessions(request: Request | WebSocket) -> SessionStore:
    return services_of(request).get(SessionStore)


async def staff_of(request: Request | WebSocket, *, extend: bool = True) -> StaffSession | None:
    """The session in the request's cookie, if it still holds: the account is active and has the
    role and password it logged in with (else the session is ended here)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    sessions = _sessions(request)
    staff = await sessions.get(token, extend=extend)
    if staff is None:
        return None
    accounts = services_of(request).get(RecentAccounts)
    if not (
        staff.holds_for(await accounts.get(staff.username))
        or staff.holds_for(await accounts.get(staff.username, fresh=True))
    ):
        await sessions.close(token)
        return None
    return staff


async def logged_in(request: Request) -> StaffSession:
    """Any member of staff with a session that holds (401 otherwise)."""
    staff = await staff_of(request)
    if staff is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, texts.NOT_LOGGED_IN)
    return staff


async def current_staff(
    staff: Annotated[StaffSession, Depends(logged_in)],
) -> StaffSession:
    """Staff who serve users or watch those who do: a maintainer account keeps the knowledge
    base only and is refused everything else of the console."""
    if staff.role is Role.MAINTAINER:
        raise HTTPException(status.HTTP_403_FORBIDDEN, texts.KNOWLEDGE_ONLY)
    return staff


async def current_maintainer(
    staff: Annotated[StaffSession, Depends(logged_in)],
) -> StaffSession:
    """A maintainer, or a supervisor given the knowledge studio; agents never."""
    if not staff.maintainer:
        raise HTTPException(status.HTTP_403_FORBIDDEN, texts.MAINTAINERS_ONLY)
    return staff


async def current_supervisor(
    staff: Annotated[StaffSession, Depends(current_staff)],
) -> StaffSession:
    if staff.role is not Role.SUPERVISOR:
        raise HTTPException(status.HTTP_403_FORBIDDEN, texts.SUPERVISORS_ONLY)
    return staff


Staff = Annotated[StaffSession, Depends(current_staff)]
Maintainer = Annotated[StaffSession, Depends(current_maintainer)]


Guard = Annotated[LoginGuard, Depends(part(LoginGuard))]


@router.post("/login")
async def login(
    body: Login,
    request: Request,
    response: Response,
    guard: Guard,
    accounts: Accounts,
    queue: Queue,
    settings: AppSettings,
) -> dict[str, str | bool]:
    username, address = body.username.lower(), client_ip(request)
    wait_s = await guard.attempt(username, address)
    if wait_s:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, texts.too_many(wait_s), {"Retry-After": str(wait_s)}
        )
    try:
        account = await accounts.authenticate(username, body.password)
    except HashingBusy as exc:
        await guard.not_checked(username, address)
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, texts.BUSY, {"Retry-After": str(BUSY_RETRY_S)}
        ) from exc
    if account is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, texts.BAD_LOGIN)
    await guard.succeeded(username, address)
    if account.role is not Role.MAINTAINER:  # a maintainer never serves users
        # The account's skills and capacity may have changed since the last login.
        await queue.register_agent(account.username, account.skills, account.capacity)
    token = await _sessions(request).open(account)
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.staff_session_max_s,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=settings.public_url.startswith("https://"),
    )
    return {
        "username": account.username,
        "display_name": account.display_name,
        "role": account.role.value,
        "maintainer": account.maintainer,
    }


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, response: Response, queue: Queue) -> None:
    staff = await staff_of(request)
    if staff is not None:
        if staff.role is not Role.MAINTAINER:
            # Open chats stay with the agent for the grace period, then go back to the queue.
            await queue.set_status(staff.username, AgentStatus.OFFLINE)
        await _sessions(request).close(request.cookies[COOKIE])
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
