"""``/channels/wechat/callback``: WeChat's server verification (GET) and its pushes (POST).

Order of checks on a push, each before the next is looked at: the channel is configured (else
404), the body is at most 64 KiB (else 413, counted while reading, before any parsing), the URL
signature is right and its timestamp within 5 minutes of now (else 403), the XML has no DTD
(else 400), in safe mode the msg_signature over the ciphertext is right (else 403) and it
decrypts (else 400), and the URL's timestamp and nonce have not come with another body before
(else 403: a captured URL reused, nonces.py). Only then is anything recorded or answered.

The server verification (GET) checks the signature and the timestamp's freshness the same way.
"""

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response

from integrations.bodies import read_capped
from integrations.wechat import envelope, inbound
from integrations.wechat.crypto import DecryptError
from integrations.wechat.service import WeChatChannel
from integrations.wechat.signature import fresh, valid
from queue_service.services import optional_part

log = logging.getLogger(__name__)

PATH = "/channels/wechat/callback"
SUCCESS = "success"

router = APIRouter()


def install(app: FastAPI) -> None:
    app.include_router(router)


def _channel(
    channel: Annotated[WeChatChannel | None, Depends(optional_part(WeChatChannel))],
) -> WeChatChannel:
    if channel is None:
        raise HTTPException(404)  # no SWA_WECHAT_TOKEN: the channel does not exist
    return channel


Channel = Annotated[WeChatChannel, Depends(_channel)]


def _forbidden() -> HTTPException:
    return HTTPException(403, "invalid signature")


def _stale() -> HTTPException:
    return HTTPException(403, "stale timestamp")


@router.get(PATH, include_in_schema=False)
async def verify(
    channel: Channel,
    signature: str = "",
    timestamp: str = "",
    nonce: str = "",
    echostr: str = "",
    msg_signature: str | None = None,
) -> PlainTextResponse:
    if not valid((channel.token, timestamp, nonce), signature):
        raise _forbidden()
    if not fresh(timestamp):
        raise _stale()
    if msg_signature is None:
        return PlainTextResponse(echostr)
    # Safe-mode verification: the echostr is encrypted and signed like a message.
    if channel.safe is None:
        raise HTTPException(400, "safe mode is not configured")
    if not valid((channel.token, timestamp, nonce, echostr), msg_signature):
        raise _forbidden()
    try:
        return PlainTextResponse(channel.safe.decrypt(echostr))
    except DecryptError as exc:
        raise HTTPException(400, "echostr does not decrypt") from exc


@router.post(PATH, include_in_schema=False)
async def push(
    request: Request,
    channel: Channel,
    signature: str = "",
    timestamp: str = "",
    nonce: str = "",
    msg_signature: str | None = None,
) -> Response:
    body = await read_capped(request, envelope.MAX_BODY_BYTES)
    if not valid((channel.token, timestamp, nonce), signature):
        raise _forbidden()
    if not fresh(timestamp):
        raise _stale()
    try:
        fields = envelope.parse(body)
        if channel.safe is not None:
            encrypted = fields.get("Encrypt")
            if not encrypted:
                raise HTTPException(400, "safe mode expects an encrypted message")
            if not valid((channel.token, timestamp, nonce, encrypted), msg_signature):
                raise _forbidden()
            fields = envelope.parse(channel.safe.decrypt(encrypted))
        if not await channel.nonces.admit(timestamp, nonce, signature, body):
            log.warning("wechat callback refused: its nonce came with another body")
            raise HTTPException(403, "nonce already used")
        reply = await channel.turns.answer(fields)
    except (envelope.BadXml, inbound.Malformed, DecryptError) as exc:
        raise HTTPException(400, "malformed message") from exc
    if reply is None:
        return PlainTextResponse(SUCCESS)
    if channel.safe is not None:
        reply = channel.safe.encrypt_reply(reply, nonce, timestamp)
    return Response(reply, media_type="application/xml")
