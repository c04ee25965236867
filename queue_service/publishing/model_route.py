"""The Rasa servers' model server: `GET /internal/rasa/model`, in the protocol Rasa's
`models:` endpoint expects (bot/endpoints.yml).

Each Rasa server asks every few seconds with `If-None-Match: <the model it runs>`; the answer
is 304 while that is still the published model, else the archive with its name as the ETag,
which Rasa loads in place: conversations go on, nothing restarts. A Rasa server started (or
restarted by the process manager) loads the published model the same way. The caller shows
Rasa's own token (SWA_RASA_TOKEN) in the Authorization header, never in the URL; the route is
for the deployment's Rasa servers, and nginx does not pass /internal/ from outside.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Response
from fastapi.responses import FileResponse

from queue_service.publishing.publisher import Publisher
from queue_service.services import part
from queue_service.settings import Settings

router = APIRouter()


def _authorised(settings: Settings, authorization: str | None) -> bool:
    expected = f"Bearer {settings.rasa_token.get_secret_value()}"
    return authorization is not None and secrets.compare_digest(
        authorization.encode(), expected.encode()
    )


@router.get("/internal/rasa/model", include_in_schema=False)
async def model(
    settings: Annotated[Settings, Depends(part(Settings))],
    publisher: Annotated[Publisher, Depends(part(Publisher))],
    authorization: Annotated[str | None, Header()] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    if not _authorised(settings, authorization):
        raise HTTPException(401, "需要 Rasa 令牌")
    path = await publisher.model_file()
    if path is None or not path.exists():
        raise HTTPException(404, "尚无可用的模型")
    if if_none_match == path.name:
        return Response(status_code=304, headers={"ETag": path.name})
    return FileResponse(
        path,
        media_type="application/gzip",
        headers={"ETag": path.name, "filename": path.name},
    )
