"""Mounts the console: its page, static files, JSON API (chats, canned responses, transcript
search) and websocket."""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from queue_service.console import api, auth, canned_api, search_api, socket, supervisor_api

STATIC_DIR = Path(__file__).resolve().parent / "static"
INVALID_INPUT = "提交的内容不正确，请检查后重试。"


async def _invalid_input(request: Request, exc: RequestValidationError) -> Response:
    """The console shows `detail` to the agent: a sentence, not pydantic's error list."""
    if request.url.path.startswith("/console/api/"):
        return JSONResponse({"detail": INVALID_INPUT, "errors": exc.errors()}, status_code=422)
    return await request_validation_exception_handler(request, exc)


def install(app: FastAPI) -> None:
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")

    @app.get("/console", include_in_schema=False)
    async def console_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    app.include_router(auth.router)
    app.include_router(api.router)
    app.include_router(canned_api.router)
    app.include_router(search_api.router)
    app.include_router(supervisor_api.router)
    app.include_router(socket.router)
    app.add_exception_handler(RequestValidationError, _invalid_input)
