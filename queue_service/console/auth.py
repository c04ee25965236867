"""Console login: a password checked against the account, an opaque session token in a cookie.

The cookie is HttpOnly (page scripts never see the token) and SameSite=Strict (no other site can
make a browser use it), and limited to /console. Repeated failures for one user name are slowed
down: after MAX_FAILURES in FAILURE_WINDOW_S the name is refused until the window passes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, WebSocket, status
from pydantic import BaseModel, Field

from queue_service.agents.accounts import AccountStore, Role
from queue_service.agents.sessions import SessionStore, StaffSession
from queue_service.handoff.queue import AgentStatus

COOKIE = "swa_console"
COOKIE_PATH = "/console"
MAX_FAILURES = 10
FAILURE_WINDOW_S = 900

NOT_LOGGED_IN = "登录已过期，请重新登录。"
BAD_LOGIN = "用户名或密码错误。"
TOO_MANY = "登录失败次数过多，请 15 分钟后再试。"
SUPERVISORS_ONLY = "仅班长（主管）可以进行此操作。"

router = APIRouter(prefix="/console/api", tags=["console"])


class Login(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


def _sessions(request: Request | WebSocket) -> SessionStore:
    return request.app.state.staff_sessions


async def staff_of(request: Request | WebSocket) -> StaffSession | None:
    token = request.cookies.get(COOKIE)
    return await _sessions(request).get(token) if token else None


async def current_staff(request: Request) -> StaffSession:
    staff = await staff_of(request)
    if staff is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, NOT_LOGGED_IN)
    return staff


async def current_supervisor(
    staff: Annotated[StaffSession, Depends(current_staff)],
) -> StaffSession:
    if staff.role is not Role.SUPERVISOR:
        raise HTTPException(status.HTTP_403_FORBIDDEN, SUPERVISORS_ONLY)
    return staff


Staff = Annotated[StaffSession, Depends(current_staff)]


@router.post("/login")
async def login(body: Login, request: Request, response: Response) -> dict[str, str]:
    redis = request.app.state.redis
    failures = f"swa:login-failures:{body.username.lower()}"
    if int(await redis.get(failures) or 0) >= MAX_FAILURES:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, TOO_MANY)
    accounts: AccountStore = request.app.state.accounts
    account = await accounts.authenticate(body.username.lower(), body.password)
    if account is None:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.incr(failures)
            pipe.expire(failures, FAILURE_WINDOW_S)
            await pipe.execute()
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, BAD_LOGIN)
    await redis.delete(failures)
    # The account's skills and capacity may have changed since the last login.
    await request.app.state.queue.register_agent(account.username, account.skills, account.capacity)
    token = await _sessions(request).open(account)
    settings = request.app.state.settings
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.staff_session_ttl_s,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=settings.public_url.startswith("https://"),
    )
    return {
        "username": account.username,
        "display_name": account.display_name,
        "role": account.role.value,
    }


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, response: Response) -> None:
    staff = await staff_of(request)
    if staff is not None:
        # Open chats stay with the agent for the grace period, then go back to the queue.
        await request.app.state.queue.set_status(staff.username, AgentStatus.OFFLINE)
        await _sessions(request).close(request.cookies[COOKIE])
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
