"""``/channels/telegram/webhook``: what Telegram pushes in webhook mode.

Checked in order before anything is done with it: the channel is on and in webhook mode (else
404), the ``X-Telegram-Bot-Api-Secret-Token`` header matches (else 403, compared in constant
time), the body is at most 1 MiB (else 413, counted while reading) and is a JSON update with an
``update_id`` (else 400). A retried update is dropped by the handlers (update_id claimed once).
"""

import hmac
import json
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response

from integrations.bodies import read_capped
from integrations.telegram.service import TelegramChannel
from queue_service.services import optional_part

PATH = "/channels/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1024 * 1024

router = APIRouter()


def install(app: FastAPI) -> None:
    app.include_router(router)


@router.post(PATH, include_in_schema=False)
async def webhook(
    request: Request,
    channel: Annotated[TelegramChannel | None, Depends(optional_part(TelegramChannel))],
) -> Response:
    if channel is None or not channel.webhook_mode:
        raise HTTPException(404)
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), channel.secret.encode()):
        raise HTTPException(403, "invalid secret token")
    try:
        data = json.loads(await read_capped(request, MAX_BODY_BYTES))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HTTPException(400, "malformed update") from exc
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise HTTPException(400, "malformed update")
    try:
        await channel.feed(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise HTTPException(400, "malformed update") from exc
    return Response(status_code=200)
