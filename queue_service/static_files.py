"""Static files of the service's pages (the chat page, the agent console, the demo portal), and
the folder the three share (queue_service/static/, at /static).

Every page, script and stylesheet is checked for a newer version on every load (a 304 when
unchanged): a browser never runs a page older than the service it talks to, nor an ES module of
one version beside a module of another.
"""

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

REVALIDATE = {"Cache-Control": "no-cache"}
SHARED_DIR = Path(__file__).resolve().parent / "static"
SHARED_PATH = "/static"
_SHARED_NAME = "shared-static"


class RevalidatedFiles(StaticFiles):
    """StaticFiles whose every answer asks the browser to revalidate before reuse."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.update(REVALIDATE)
        return response


def mount_shared(app: FastAPI) -> None:
    """Mounts the shared folder at /static (the composition root does, once), and the icon
    every browser asks for at /favicon.ico (an SVG: one file, sharp at every size)."""
    app.mount(SHARED_PATH, RevalidatedFiles(directory=SHARED_DIR), name=_SHARED_NAME)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(
            SHARED_DIR / "favicon.svg", media_type="image/svg+xml", headers=REVALIDATE
        )
