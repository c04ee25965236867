"""Mounts the console: its page (under a Content-Security-Policy), static files, JSON API (chats,
canned responses, transcript search) and websocket. Every API route refuses state-changing
requests from a foreign Origin."""

import logging
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from queue_service.console import (
    api,
    auth,
    canned_api,
    contact_api,
    images_api,
    reports_api,
    search_api,
    socket,
    supervisor_api,
    texts,
    tickets_api,
)
from queue_service.console.origin import same_origin
from queue_service.page_policy import content_security_policy
from queue_service.static_files import REVALIDATE, RevalidatedFiles

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"


async def _invalid_input(request: Request, exc: RequestValidationError) -> Response:
    """The console shows `detail` to the agent: a sentence, not pydantic's error list."""
    if request.url.path.startswith("/console/api/"):
        detail = {"detail": texts.INVALID_INPUT, "errors": exc.errors()}
        return JSONResponse(detail, status_code=422)
    return await request_validation_exception_handler(request, exc)


async def _store_down(request: Request, exc: Exception) -> Response:
    """Redis or SQL failed under a request (down, or past its fail-fast timeout): JSON with a
    sentence the console shows, and when to try again, instead of a plain-text 500."""
    log.warning(
        "request failed: store unavailable",
        extra={"path": request.url.path, "error": type(exc).__name__},
    )
    return JSONResponse(
        {"detail": texts.SERVICE_UNAVAILABLE}, status_code=503, headers={"Retry-After": "5"}
    )


async def _failed(request: Request, exc: Exception) -> Response:
    """Any other failure under a console request: JSON with a sentence the console shows, never
    a plain-text 500 (Starlette still logs the traceback)."""
    if request.url.path.startswith("/console/api/"):
        return JSONResponse({"detail": texts.SERVER_ERROR}, status_code=500)
    return PlainTextResponse("Internal Server Error", status_code=500)


def install(app: FastAPI) -> None:
    app.mount("/console/static", RevalidatedFiles(directory=STATIC_DIR), name="console-static")

    @app.get("/console", include_in_schema=False)
    async def console_page(request: Request) -> FileResponse:
        # No site may frame the console (clickjacking); it talks only to its own API and socket.
        policy = content_security_policy(request.headers.get("host", ""))
        headers = {"Content-Security-Policy": policy, **REVALIDATE}
        return FileResponse(STATIC_DIR / "index.html", headers=headers)

    for module in (
        auth,
        api,
        canned_api,
        contact_api,
        images_api,
        reports_api,
        search_api,
        supervisor_api,
        tickets_api,
    ):
        app.include_router(module.router, dependencies=[Depends(same_origin)])
    app.include_router(socket.router)  # checks the Origin itself (a websocket must have one)
    app.add_exception_handler(RequestValidationError, _invalid_input)
    app.add_exception_handler(RedisError, _store_down)
    app.add_exception_handler(SQLAlchemyError, _store_down)
    app.add_exception_handler(Exception, _failed)
