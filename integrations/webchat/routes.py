"""The web chat channel: a websocket the chat page talks to, and the page itself.

Protocol (JSON text frames):
  server → client, once per connection:
      {"type": "session", "conversation_id": "<uuid>", "history": [message, ...],
       "identity": {...} | null}   (who the conversation is verified as, as in "identity" below)
  client → server:
      {"type": "start"}   once, when a new conversation (empty history) is opened
      {"type": "message", "text": "...", "payload": "..." | null}
      {"type": "typing", "on": true | false}   while the user types to an agent (throttled)
      {"type": "auth", "token": "<portal JWT>"}   at any time: the host portal's logged-in user
      {"type": "logout"}                         the portal's user logged out
      {"type": "card_challenge"}                 a card login starts: asks for a challenge
      {"type": "card_proof", "proof": {...}}     the card bridge's proof for that challenge
      {"type": "card_removed"}                   the bridge saw the card taken out
  server → client, for each auth or logout:
      {"type": "identity", "identity": {kind, name, enterprise_name, label, expires_at} | null}
      or, for a token that is not accepted (the conversation is then anonymous):
      {"type": "error", "code": "auth_failed", "message": "<Chinese text for the user>"}
  server → client, for each start or user message:
      {"type": "messages", "messages": [message, ...]}
      {"type": "error", "code": "...", "message": "<Chinese text for the user>"}
  server → client, at any time (an agent's lines, queue updates, the agent typing):
      {"type": "messages", "messages": [...]}   {"type": "typing", "on": true | false}
  server → client, for card frames (card-media login, queue_service/identity/card_login.py):
      {"type": "card_challenge", "challenge": "...", "expires_in": 60}
      {"type": "identity", "identity": {..., "card": {"number", "role"}} | null,
       "notices": ["<Chinese text>", ...]}   after a proof is accepted or the card is removed
      {"type": "error", "code": "card_refused", "reason": "...", "message": "<Chinese text>"}
A message is a transcript line: id, role, text, buttons, image, custom, created_at and, on an
agent's lines, sender_name.

The token travels only in the auth frame: never in a URL (which ends up in access logs and
browser history), never in a log line.

The conversation id lives in the browser's localStorage; holding it is what lets a page reload
see its history, so ids are random UUIDs and anything else is replaced by a fresh one.
"""

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from integrations.webchat import card_frames
from integrations.webchat.card_frames import CARD_CHALLENGE_FRAME, CARD_REMOVED_FRAME, CardProof
from queue_service.bus import Event
from queue_service.handoff.switchboard import user_topic
from queue_service.hub import Hub
from queue_service.identity.portal import PortalTokenError
from queue_service.identity.service import LOGIN_UNAVAILABLE_TEXT
from queue_service.identity.store import Verified, decode_verified
from queue_service.messages import InboundMessage, OutboundMessage, Role, StoredMessage

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
CHANNEL = "webchat"

router = APIRouter()


def install(app: FastAPI) -> None:
    app.mount("/webchat/static", StaticFiles(directory=STATIC_DIR), name="webchat-static")
    app.include_router(router)


@router.get("/", include_in_schema=False)
async def chat_page(request: Request) -> FileResponse:
    """The chat page; only this service and the configured sites may frame it (clickjacking)."""
    ancestors = " ".join(["'self'", *request.app.state.settings.embed_origin_list()])
    headers = {"Content-Security-Policy": f"frame-ancestors {ancestors}"}
    return FileResponse(STATIC_DIR / "index.html", headers=headers)


@router.get("/webchat/config")
async def page_config(request: Request) -> dict[str, Any]:
    """What the page needs besides its socket: where the card bridge listens on the user's PC,
    and which embedding sites it may exchange messages with (tokens in, unread counts out)."""
    settings = request.app.state.settings
    return {
        "card_bridge_url": settings.card_bridge_url,
        "embed_origins": settings.embed_origin_list(),
    }


def _session_id(raw: str | None) -> str:
    try:
        return str(uuid.UUID(raw or ""))
    except ValueError:
        return str(uuid.uuid4())


def _wire(messages: list[StoredMessage]) -> list[dict[str, Any]]:
    return [m.model_dump(mode="json", exclude={"conversation_id", "agent"}) for m in messages]


def _error(code: str, message: str) -> dict[str, str]:
    return {"type": "error", "code": code, "message": message}


_BAD_MESSAGE = _error("bad_message", "消息格式不正确，请刷新页面后重试。")


START_FRAME = "start"


@dataclass(frozen=True)
class Typing:
    on: bool


@dataclass(frozen=True)
class Auth:
    token: str


LOGOUT_FRAME = "logout"


def parse_client_frame(
    raw: str, max_chars: int
) -> tuple[str, str | None] | dict[str, str] | str | Typing | Auth | CardProof:
    """(text, payload) for a valid user message, START_FRAME, LOGOUT_FRAME, the card frames,
    Typing, Auth, CardProof, or an error frame."""
    try:
        frame = json.loads(raw)
    except ValueError:
        return _BAD_MESSAGE
    if isinstance(frame, dict) and frame.get("type") == START_FRAME:
        return START_FRAME
    if isinstance(frame, dict) and frame.get("type") == "typing":
        return Typing(frame.get("on") is True)
    if isinstance(frame, dict) and frame.get("type") == LOGOUT_FRAME:
        return LOGOUT_FRAME
    if isinstance(frame, dict) and frame.get("type") in (CARD_CHALLENGE_FRAME, CARD_REMOVED_FRAME):
        return str(frame["type"])
    if isinstance(frame, dict) and frame.get("type") == "card_proof":
        return CardProof(frame.get("proof"))
    if isinstance(frame, dict) and frame.get("type") == "auth":
        token = frame.get("token")
        # Not verified here: the hub logs why a token is refused, and answers the user once.
        return Auth(token if isinstance(token, str) else "")
    if not isinstance(frame, dict) or frame.get("type") != "message":
        return _BAD_MESSAGE
    text, payload = frame.get("text"), frame.get("payload")
    if not isinstance(text, str) or (payload is not None and not isinstance(payload, str)):
        return _BAD_MESSAGE
    text = text.strip()
    if not text and not payload:
        return _error("empty", "请输入您要咨询的问题。")
    if len(text) > max_chars or len(payload or "") > max_chars:
        return _error("too_long", f"消息过长，请控制在 {max_chars} 字以内。")
    return text or (payload or ""), payload


def _frame(event: Event) -> dict[str, Any] | None:
    """The web chat frame for a bus event addressed to the user, if it has one."""
    if event.get("type") == "messages":
        messages = [StoredMessage.model_validate(m) for m in event.get("messages", [])]
        return {"type": "messages", "messages": _wire(messages)}
    if event.get("type") == "typing":
        return {"type": "typing", "on": event.get("on") is True}
    if event.get("type") == "identity":  # a card session ended elsewhere (card_login.py)
        raw = event.get("verified")
        verified = decode_verified(raw) if isinstance(raw, str) else None
        return card_frames.identity_frame(verified, event.get("notices"))
    return None


async def _forward(events: asyncio.Queue[Event], send: Callable[[dict], Awaitable[None]]) -> None:
    while True:
        frame = _frame(await events.get())
        if frame is not None:
            await send(frame)


@router.websocket("/channels/webchat/ws")
async def webchat_socket(websocket: WebSocket, conversation: str | None = None) -> None:
    hub: Hub = websocket.app.state.hub
    settings = websocket.app.state.settings
    session_id = _session_id(conversation)
    conversation_id = f"{CHANNEL}:{session_id}"
    # Turn replies and bus events are sent by two tasks; frames must not interleave.
    sending = asyncio.Lock()

    async def send(frame: dict[str, Any]) -> None:
        async with sending:
            await websocket.send_json(frame)

    await websocket.accept()
    # Listening starts before the history is read, so nothing falls between the two.
    async with websocket.app.state.bus.listen(user_topic(conversation_id)) as events:
        history = await hub.transcripts.history(conversation_id, settings.history_limit)
        await send(
            {
                "type": "session",
                "conversation_id": session_id,
                "history": _wire(history),
                "identity": await _who(hub, conversation_id),
            }
        )
        forwarder = asyncio.create_task(_forward(events, send))
        try:
            await _converse(websocket, hub, conversation_id, settings.max_message_chars, send)
        except WebSocketDisconnect:
            pass  # the user left mid-turn; their message and the replies are in the transcript
        finally:
            forwarder.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await forwarder


async def _converse(
    websocket: WebSocket,
    hub: Hub,
    conversation_id: str,
    max_chars: int,
    send: Callable[[dict], Awaitable[None]],
) -> None:
    while True:
        frame = await websocket.receive()
        if frame["type"] == "websocket.disconnect":
            return
        parsed = parse_client_frame(frame.get("text") or "", max_chars)
        if isinstance(parsed, dict):
            await send(parsed)
            continue
        if isinstance(parsed, Typing):
            await hub.typing(conversation_id, parsed.on)
            continue
        if isinstance(parsed, Auth) or parsed == LOGOUT_FRAME:
            await send(await _authenticate(hub, conversation_id, parsed))
            continue
        if isinstance(parsed, CardProof) or parsed in (CARD_CHALLENGE_FRAME, CARD_REMOVED_FRAME):
            answer = await card_frames.answer(hub.identities, conversation_id, parsed)
            await _keep_notices(hub, conversation_id, answer.get("notices") or [])
            await send(answer)
            continue
        if parsed == START_FRAME:
            replies = await hub.start(conversation_id)
        else:
            text, payload = parsed
            replies = await hub.handle(
                InboundMessage(conversation_id=conversation_id, text=text, payload=payload)
            )
        await send({"type": "messages", "messages": _wire(replies)})


async def _keep_notices(hub: Hub, conversation_id: str, notices: list[str]) -> None:
    """A card login's notices go to the transcript too: a reloaded page shows them again, and
    the agent reading the history sees that (and how) the user verified."""
    if not notices:
        return
    lines = [OutboundMessage(role=Role.SYSTEM, text=text) for text in notices]
    try:
        await hub.transcripts.append(conversation_id, lines)
    except SQLAlchemyError as exc:
        log.warning("card notices not kept", extra={"error": type(exc).__name__})


def _identity_frame(verified: Verified | None) -> dict[str, Any]:
    return card_frames.identity_frame(verified)


async def _who(hub: Hub, conversation_id: str) -> dict[str, Any] | None:
    """Who the conversation is verified as, for the session frame; None if unknown."""
    if hub.identities is None:
        return None
    try:
        verified = await hub.identities.current(conversation_id)
    except RedisError:
        return None
    return _identity_frame(verified)["identity"]


async def _authenticate(hub: Hub, conversation_id: str, frame: Auth | str) -> dict[str, Any]:
    """Log the conversation in with a portal token, or out; the frame that tells the page."""
    if hub.identities is None:
        return _error("auth_unavailable", LOGIN_UNAVAILABLE_TEXT)
    try:
        if not isinstance(frame, Auth):
            await hub.identities.log_out(conversation_id)
            return _identity_frame(None)
        return _identity_frame(await hub.identities.log_in(conversation_id, frame.token))
    except PortalTokenError as exc:
        return _error("auth_failed", exc.user_message)
    except RedisError:
        return _error("auth_unavailable", LOGIN_UNAVAILABLE_TEXT)
