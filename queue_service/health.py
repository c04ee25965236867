"""Liveness and readiness: /healthz says the process runs, /readyz says it can serve users."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from queue_service.deps import RedisClient
from queue_service.rasa_client import RasaClient
from queue_service.services import part

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(
    redis: RedisClient, rasa: Annotated[RasaClient, Depends(part(RasaClient))]
) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        await redis.ping()
        checks["redis"] = "ok"
    except (RedisError, OSError) as exc:
        checks["redis"] = f"unreachable: {type(exc).__name__}"
    checks["rasa"] = "ok" if await rasa.is_ready() else "unreachable or no model loaded"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)
