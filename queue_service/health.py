"""Liveness and readiness: /healthz says the process runs, /readyz says it can serve users.

Readiness asks everything a turn needs (Redis, SQL, Rasa, the action server), whether one bot
turn has gone all the way through yet (queue_service/warmup.py), and the process's own
background work, all at once, each within CHECK_TIMEOUT_S: a part that hangs is reported
as such and the answer still comes in under a second, so a load balancer's probe never hangs
on the thing it should detect (issue 16).
"""

import asyncio
from collections.abc import Awaitable
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from queue_service.background import Background
from queue_service.deps import AppSettings, RedisClient
from queue_service.rasa_pool import RasaPool
from queue_service.services import part
from queue_service.warmup import Warmup

router = APIRouter(tags=["health"])

CHECK_TIMEOUT_S = 0.8

OK = "ok"


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": OK}


async def _bounded(check: Awaitable[str]) -> str:
    """The check's verdict, or "timed out" once CHECK_TIMEOUT_S has passed."""
    try:
        return await asyncio.wait_for(check, CHECK_TIMEOUT_S)
    except TimeoutError:
        return "timed out"


async def _redis(redis: RedisClient) -> str:
    try:
        await redis.ping()
    except (RedisError, OSError) as exc:
        return f"unreachable: {type(exc).__name__}"
    return OK


async def _sql(engine: AsyncEngine) -> str:
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as exc:
        return f"unreachable: {type(exc).__name__}"
    return OK


async def _rasa(rasa: RasaPool) -> str:
    """The pool's watcher knows which servers are up; asked again here, a Rasa server busy
    with turns answered /status after CHECK_TIMEOUT_S and /readyz flapped under load. Only
    when the watcher has no server up (or has not looked yet) are they asked now."""
    if rasa.serving() or await rasa.is_ready(CHECK_TIMEOUT_S):
        return OK
    return "unreachable or no model loaded"


async def _actions(url: str) -> str:
    """The action server's own health endpoint: without it every bot answer is empty. A plain
    http URL gets a client without certificate loading (several ms of CPU a probe otherwise)."""
    try:
        https = url.startswith("https:")
        async with httpx.AsyncClient(timeout=CHECK_TIMEOUT_S, verify=https) as client:
            response = await client.get(url.rstrip("/") + "/health")
    except httpx.HTTPError as exc:
        return f"unreachable: {type(exc).__name__}"
    return OK if response.status_code == 200 else f"status {response.status_code}"


@router.get("/readyz")
async def readyz(
    redis: RedisClient,
    settings: AppSettings,
    rasa: Annotated[RasaPool, Depends(part(RasaPool))],
    engine: Annotated[AsyncEngine, Depends(part(AsyncEngine))],
    background: Annotated[Background, Depends(part(Background))],
    warmup: Annotated[Warmup, Depends(part(Warmup))],
) -> JSONResponse:
    names = ("redis", "sql", "rasa", "actions")
    verdicts = await asyncio.gather(
        _bounded(_redis(redis)),
        _bounded(_sql(engine)),
        _bounded(_rasa(rasa)),
        _bounded(_actions(settings.actions_url)),
    )
    checks = dict(zip(names, verdicts, strict=True))
    # Not ready before one bot turn has gone through (queue_service/warmup.py).
    checks["warm"] = OK if warmup.done else "warming up"
    for task, problem in background.problems().items():
        checks[f"task:{task}"] = problem
    ready = all(v == OK for v in checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)
