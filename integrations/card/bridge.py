"""The card bridge's HTTP API, for the chat page on the same PC.

  GET  /readers   {"readers": [{"name": ..., "card_present": bool}]}
  GET  /events    Server-Sent Events: "readers" (the snapshot, first), then "card_inserted",
                  "card_removed", "reader_added", "reader_removed" as they happen
  POST /prove     {"challenge": ..., "pin": ..., "reader": optional}
                  -> 200 {"card_number", "certificate", "challenge", "signature", "initial_pin"}
                  -> 409 {"error": <reason>, "message": <Chinese>, "tries_left": n | null}
                  -> 400 for a malformed request, 503 when PC/SC is not available
  POST /change-pin {"old_pin": ..., "new_pin": ..., "reader": optional}
                  -> 200 {"changed": true}, or the same errors as /prove

Any page could try to call a program on 127.0.0.1, so every request must come from a configured
origin (the chat page's) and name this PC as its host; anything else gets 403 and no CORS
headers, so the calling page cannot even read the refusal. The PIN is only in the body of
/prove; it is passed to the card and dropped, never logged, never echoed back. A wrong PIN is
answered only after a delay that grows with each wrong PIN in a row for that card (pacing.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from integrations.card import readers, texts
from integrations.card.errors import CardError, Reason
from integrations.card.pacing import PinPacer
from integrations.card.prove import change_pin, prove
from integrations.card.settings import BridgeSettings
from kernel.card_protocol import valid_challenge

log = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store"}


def create_app(settings: BridgeSettings, pacer: PinPacer | None = None) -> FastAPI:
    app = FastAPI(title="单一窗口读卡服务", docs_url=None, redoc_url=None, openapi_url=None)
    origins = settings.origins()
    hosts = settings.hosts()
    # Two logins at once would interleave their APDUs; a wrong PIN's delay is taken holding it.
    one_at_a_time = asyncio.Lock()
    pacer = pacer or PinPacer()

    async def refused(error: CardError) -> JSONResponse:
        """The answer to a card error, after the wrong-PIN delay when it is one."""
        if error.reason is Reason.WRONG_PIN and error.card_number:
            await pacer.wrong_pin(error.card_number)
        return _card_error(error)

    @app.middleware("http")
    async def origin_check(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        origin = request.headers.get("origin", "").rstrip("/")
        if request.headers.get("host") not in hosts or origin not in origins:
            log.warning("card bridge request refused", extra={"origin": origin[:200]})
            return JSONResponse({"error": "forbidden", "message": texts.FORBIDDEN}, 403)
        cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        if request.method == "OPTIONS":
            preflight = {
                **cors,
                "Access-Control-Allow-Methods": "GET, POST",
                "Access-Control-Allow-Headers": "Content-Type",
                "Access-Control-Max-Age": "600",
            }
            if request.headers.get("access-control-request-private-network") == "true":
                preflight["Access-Control-Allow-Private-Network"] = "true"
            return Response(status_code=204, headers=preflight)
        response = await call_next(request)
        response.headers.update(cors)
        return response

    @app.get("/readers")
    async def list_readers() -> JSONResponse:
        try:
            snapshot = await asyncio.to_thread(readers.snapshot)
        except CardError as exc:
            return _card_error(exc)
        return JSONResponse({"readers": _readers_view(snapshot)}, headers=NO_STORE)

    @app.get("/events")
    async def events(request: Request) -> StreamingResponse:
        async def stream() -> AsyncIterator[str]:
            before = await asyncio.to_thread(_safe_snapshot)
            yield _sse("readers", {"readers": _readers_view(before)})
            while not await request.is_disconnected():
                await asyncio.sleep(settings.poll_interval_s)
                after = await asyncio.to_thread(_safe_snapshot)
                for event in readers.changes(before, after):
                    yield _sse(str(event.pop("event")), event)
                before = after

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={**NO_STORE, "X-Accel-Buffering": "no"},
        )

    @app.post("/prove")
    async def prove_identity(request: Request) -> JSONResponse:
        body = await _json(request)
        if not (
            isinstance(body, dict)
            and valid_challenge(body.get("challenge"))
            and isinstance(body.get("pin"), str)
            and isinstance(body.get("reader", ""), str | None)
        ):
            return JSONResponse(
                {"error": "bad_request", "message": texts.BAD_REQUEST}, 400, headers=NO_STORE
            )
        async with one_at_a_time:
            try:
                reader = body.get("reader") or await asyncio.to_thread(_the_card_reader)
                proof = await asyncio.to_thread(prove, reader, body["challenge"], body["pin"])
            except CardError as exc:
                log.info("card proof refused", extra={"reason": exc.reason.value})
                return await refused(exc)
            except _SeveralCards:
                return JSONResponse(
                    {"error": "several_cards", "message": texts.PICK_READER}, 409, headers=NO_STORE
                )
            pacer.right_pin(proof.card_number)
        log.info("card proof made")
        return JSONResponse(proof.to_json(), headers=NO_STORE)

    @app.post("/change-pin")
    async def change_card_pin(request: Request) -> JSONResponse:
        body = await _json(request)
        if not (
            isinstance(body, dict)
            and isinstance(body.get("old_pin"), str)
            and isinstance(body.get("new_pin"), str)
            and isinstance(body.get("reader", ""), str | None)
        ):
            return JSONResponse(
                {"error": "bad_request", "message": texts.BAD_CHANGE_REQUEST}, 400, headers=NO_STORE
            )
        async with one_at_a_time:
            try:
                reader = body.get("reader") or await asyncio.to_thread(_the_card_reader)
                number = await asyncio.to_thread(
                    change_pin, reader, body["old_pin"], body["new_pin"]
                )
            except CardError as exc:
                log.info("card PIN not changed", extra={"reason": exc.reason.value})
                return await refused(exc)
            except _SeveralCards:
                return JSONResponse(
                    {"error": "several_cards", "message": texts.PICK_READER}, 409, headers=NO_STORE
                )
            pacer.right_pin(number)
        log.info("card PIN changed")
        return JSONResponse({"changed": True}, headers=NO_STORE)

    return app


class _SeveralCards(Exception):
    pass


def _the_card_reader() -> str:
    """The reader with a card in it, when the page did not name one."""
    snapshot = readers.snapshot()
    if not snapshot:
        raise CardError(Reason.NO_READER)
    with_card = [name for name, present in snapshot.items() if present]
    if not with_card:
        raise CardError(Reason.NO_CARD)
    if len(with_card) > 1:
        raise _SeveralCards
    return with_card[0]


def _safe_snapshot() -> dict[str, bool]:
    try:
        return readers.snapshot()
    except CardError:
        return {}  # PC/SC went away: report the readers as gone, and their return later


def _readers_view(snapshot: dict[str, bool]) -> list[dict[str, Any]]:
    return [{"name": name, "card_present": present} for name, present in sorted(snapshot.items())]


def _card_error(error: CardError) -> JSONResponse:
    status = 503 if error.reason is Reason.PCSC_UNAVAILABLE else 409
    return JSONResponse(
        {
            "error": error.reason.value,
            "message": texts.user_text(error),
            "tries_left": error.tries_left,
        },
        status,
        headers=NO_STORE,
    )


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _json(request: Request) -> object:
    try:
        return await request.json()
    except ValueError:
        return None
