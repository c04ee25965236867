"""The web chat channel: a websocket the chat page talks to, and the page itself.

Protocol (JSON text frames):
  client → server, first, within SWA_WEBCHAT_HELLO_TIMEOUT_S (else an error frame and close 1008):
      {"type": "resume", "secret": "<the secret of a session frame>"}   or   {"type": "new"}
  server → client, once per connection:
      {"type": "session", "conversation_id": "<uuid>", "secret": "<43 characters>",
       "history": [message, ...], "identity": {...} | null}
      "secret" only when a new conversation was opened (a "new" frame, or a secret that is not
      well-formed); "identity" is who the conversation is verified as ("identity" below).
  client → server:
      {"type": "start"}   once, when a new conversation (empty history) is opened
      {"type": "message", "text": "...", "payload": "..." | null, "ref": "...", "id": "..."}
                          ("ref", optional, comes back in the answer's "reply_to" and in an
                          error for the message; "id", optional, 8-64 of [A-Za-z0-9_-]: the
                          same id sent again, after a reconnect, gets the same answer and no
                          second turn, queue_service/turn_ledger.py)
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
      {"type": "messages", "messages": [message, ...], "reply_to": <the message's ref>}
      {"type": "error", "code": "...", "message": "<Chinese text for the user>"}
  server → client, for a frame over its connection's rate (integrations/webchat/guard.py), which
  is dropped: {"type": "error", "code": "rate_limited", "message": "...",
               "dropped": "message" | "typing" | "login", "ref": <the message's ref>}
  server → client, for a message or start frame the service could not complete (its database
  or Redis did not answer; nothing was lost, the socket stays open):
      {"type": "error", "code": "unavailable", "message": "...", "dropped": "message" | "start",
       "ref": <the message's ref>}   the page keeps the message and sends it again
  server → client, while a message's bot turn waits in line (many users at once; the answer
  follows): {"type": "busy", "message": "正在处理，请稍候…", "ref": <the message's ref>}
  server → client, at any time (an agent's lines, queue updates, the agent typing):
      {"type": "messages", "messages": [...]}   {"type": "typing", "on": true | false}
  server → client, for card frames (card-media login, queue_service/identity/card_login.py):
      {"type": "card_challenge", "challenge": "...", "expires_in": 60}
      {"type": "identity", "identity": {..., "card": {"number", "role"}} | null,
       "notices": ["<Chinese text>", ...]}   after a proof is accepted or the card is removed
      {"type": "error", "code": "card_refused", "reason": "...", "message": "<Chinese text>"}
A message is a transcript line: id, role, text, buttons, image, custom, created_at and, on an
agent's lines, sender_name.

A conversation is held by its secret (integrations/webchat/session.py): the page keeps it in
localStorage and sends it in the first frame. The socket URL carries nothing. The id in the
session frame is not a credential: agents, logs and Rasa see it, and no frame or endpoint takes
it from the public. The portal token, too, travels only in a frame: never in a URL, never in a
log line. A page from before (cached by a browser) still opens ?conversation=<id> and sends no
first frame: it gets a new conversation at once, and its id is never read.

Before a conversation is opened, the socket must come from an allowed Origin (else it is refused
before the handshake, close 1008) and its client address must be under its connection cap
(else an error frame and close 1013).
"""

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, WebSocket, WebSocketDisconnect, status
from fastapi.responses import FileResponse
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from integrations.user_input import Refusal, too_long, user_text
from integrations.webchat import card_frames, images, texts
from integrations.webchat.card_frames import CARD_CHALLENGE_FRAME, CARD_REMOVED_FRAME, CardProof
from integrations.webchat.guard import ConnectionCap, Pacing
from integrations.webchat.page_policy import content_security_policy
from integrations.webchat.session import Session, open_session
from kernel.messages import InboundMessage, StoredMessage
from queue_service.deps import AppSettings
from queue_service.identity.portal import PortalTokenError
from queue_service.identity.store import Verified, decode_verified
from queue_service.limits import client_ip
from queue_service.origins import origin_allowed
from queue_service.port import ChannelPort
from queue_service.services import part
from queue_service.settings import Settings
from queue_service.static_files import REVALIDATE, RevalidatedFiles

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"

router = APIRouter()


def install(app: FastAPI) -> None:
    # embed.js stays at /webchat/static/embed.js: sites embed that URL.
    app.mount("/webchat/static", RevalidatedFiles(directory=STATIC_DIR), name="webchat-static")
    app.include_router(router)
    app.include_router(images.router)


# Sockets per client address in this process (guard.py), a part the composition root registers.
Connections = Annotated[ConnectionCap, Depends(part(ConnectionCap))]
Port = Annotated[ChannelPort, Depends(part(ChannelPort))]


@router.get("/", include_in_schema=False)
async def chat_page(request: Request, settings: AppSettings) -> FileResponse:
    policy = content_security_policy(settings, request.headers.get("host", ""))
    headers = {"Content-Security-Policy": policy, **REVALIDATE}
    return FileResponse(STATIC_DIR / "index.html", headers=headers)


@router.get("/webchat/config")
async def page_config(settings: AppSettings) -> dict[str, Any]:
    """What the page needs besides its socket: where the card bridge listens on the user's PC,
    and which embedding sites it may exchange messages with (tokens in, unread counts out)."""
    return {
        "card_bridge_url": settings.card_bridge_url,
        "embed_origins": settings.embed_origin_list(),
    }


def _wire(messages: list[StoredMessage]) -> list[dict[str, Any]]:
    return [m.model_dump(mode="json", exclude={"conversation_id", "agent"}) for m in messages]


def _error(code: str, message: str) -> dict[str, str]:
    return {"type": "error", "code": code, "message": message}


def _refused(refusal: Refusal) -> dict[str, str]:
    return _error(refusal.code, refusal.text)


_BAD_MESSAGE = _error("bad_message", texts.BAD_MESSAGE)
_NO_HELLO = _error("no_session", texts.NO_HELLO)
_TOO_MANY_CONNECTIONS = _error("too_many_connections", texts.TOO_MANY_CONNECTIONS)
# Frames are JSON of at most a few thousand characters; anything far larger is not parsed.
MAX_FRAME_CHARS = 64 * 1024


START_FRAME = "start"


@dataclass(frozen=True)
class UserMessage:
    text: str
    payload: str | None
    ref: str | int | None  # the page's own reference, returned if the message is refused
    id: str | None = None  # the page's id for the message, the same when it is sent again


@dataclass(frozen=True)
class Typing:
    on: bool


@dataclass(frozen=True)
class Auth:
    token: str


LOGOUT_FRAME = "logout"


def _ref(value: object) -> str | int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53:
        return value
    return value if isinstance(value, str) and len(value) <= 64 else None


MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


def _message_id(value: object) -> str | None:
    return value if isinstance(value, str) and MESSAGE_ID.fullmatch(value) else None


def parse_client_frame(
    raw: str, max_chars: int
) -> UserMessage | dict[str, str] | str | Typing | Auth | CardProof:
    """A valid UserMessage, START_FRAME, LOGOUT_FRAME, the card frames, Typing, Auth,
    CardProof, or an error frame."""
    if len(raw) > MAX_FRAME_CHARS:
        return _refused(too_long(max_chars))
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
    checked = user_text(text, max_chars, payload)
    if isinstance(checked, Refusal):
        return _with_ref(_refused(checked), _ref(frame.get("ref")))
    return UserMessage(checked, payload, _ref(frame.get("ref")), _message_id(frame.get("id")))


def _with_ref(frame: dict[str, Any], ref: str | int | None) -> dict[str, Any]:
    """An error frame naming the page's message, when the page gave it a reference."""
    return frame if ref is None else {**frame, "ref": ref}


def _rate_limited(dropped: str, ref: str | int | None = None) -> dict[str, Any]:
    return _with_ref({**_error("rate_limited", texts.RATE_LIMITED), "dropped": dropped}, ref)


def _unavailable(exc: Exception, dropped: str, ref: str | int | None = None) -> dict[str, Any]:
    """A turn the stores failed under: the socket stays open, and the page is told to send the
    message again (it keeps it, as it keeps one refused for its pace)."""
    log.warning("web chat turn failed: store unavailable", extra={"error": type(exc).__name__})
    return _with_ref({**_error("unavailable", texts.UNAVAILABLE), "dropped": dropped}, ref)


def _frame(event: dict[str, Any]) -> dict[str, Any] | None:
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


async def _forward(
    events: asyncio.Queue[dict[str, Any]], send: Callable[[dict], Awaitable[None]]
) -> None:
    while True:
        frame = _frame(await events.get())
        if frame is not None:
            await send(frame)


@router.websocket("/channels/webchat/ws")
async def webchat_socket(
    websocket: WebSocket,
    settings: AppSettings,
    connections: Connections,
    port: Port,
) -> None:
    if not origin_allowed(websocket, required=True, also=settings.embed_origin_list()):
        origin = websocket.headers.get("origin")
        log.info("web chat socket refused: origin", extra={"origin": origin})
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    client = client_ip(websocket)
    await websocket.accept()
    if not connections.open(client):
        log.info("web chat socket refused: too many connections")
        await websocket.send_json(_TOO_MANY_CONNECTIONS)
        await websocket.close(code=status.WS_1013_TRY_AGAIN_LATER)
        return
    try:
        if "conversation" in websocket.query_params:
            # A page from before the secret, still in a browser's cache: it sends the id it kept
            # and waits for the session frame. It gets a new conversation (the id is never read)
            # and works until the browser loads the current script.
            session: Session | None = open_session(None)
        else:
            session = await _hello(websocket, settings.webchat_hello_timeout_s)
        if session is not None:
            await _serve(websocket, session, client, settings, port)
    finally:
        connections.close(client)


async def _hello(websocket: WebSocket, timeout_s: float) -> Session | None:
    """The conversation the first frame asks for; None (and the socket closed) if it asks for
    none in time."""
    try:
        message = await asyncio.wait_for(websocket.receive(), timeout_s)
    except TimeoutError:
        message = {"type": "websocket.receive"}
    if message["type"] == "websocket.disconnect":
        return None
    try:
        frame = json.loads(message.get("text") or "")
    except ValueError:
        frame = None
    if isinstance(frame, dict) and frame.get("type") in ("new", "resume"):
        return open_session(frame.get("secret") if frame["type"] == "resume" else None)
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await websocket.send_json(_NO_HELLO)
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
    return None


async def _serve(
    websocket: WebSocket, session: Session, client: str, settings: Settings, port: ChannelPort
) -> None:
    conversation_id = session.conversation_id
    # Turn replies and bus events are sent by two tasks; frames must not interleave.
    sending = asyncio.Lock()

    async def send(frame: dict[str, Any]) -> None:
        async with sending:
            await websocket.send_json(frame)

    # Listening starts before the history is read, so nothing falls between the two.
    async with port.events(conversation_id) as events:
        history = await port.history(conversation_id, settings.history_limit)
        opened: dict[str, Any] = {"type": "session", "conversation_id": session.session_id}
        if session.new_secret is not None:
            opened["secret"] = session.new_secret
        opened["history"] = _wire(history)
        opened["identity"] = await _who(port, conversation_id)
        await send(opened)
        forwarder = asyncio.create_task(_forward(events, send))
        conversation = _Conversation(port, conversation_id, client, settings, send)
        try:
            await conversation.run(websocket)
        except WebSocketDisconnect:
            pass  # the user left mid-turn; their message and the replies are in the transcript
        finally:
            forwarder.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await forwarder


class _Conversation:
    """One socket's frames after the session frame: each parsed, paced, and answered."""

    def __init__(
        self,
        port: ChannelPort,
        conversation_id: str,
        client: str,
        settings: Settings,
        send: Callable[[dict], Awaitable[None]],
    ) -> None:
        self._port = port
        self._conversation_id = conversation_id
        self._client = client
        self._max_chars = settings.max_message_chars
        self._pacing = Pacing.from_settings(settings)
        self._send = send

    async def run(self, websocket: WebSocket) -> None:
        while True:
            frame = await websocket.receive()
            if frame["type"] == "websocket.disconnect":
                return
            await self._answer(parse_client_frame(frame.get("text") or "", self._max_chars))

    async def _answer(
        self, parsed: UserMessage | dict[str, str] | str | Typing | Auth | CardProof
    ) -> None:
        port, conversation_id, send = self._port, self._conversation_id, self._send
        if isinstance(parsed, dict):
            await send(parsed)
        elif isinstance(parsed, Typing):
            if not self._pacing.typing.take():
                await send(_rate_limited("typing"))
                return
            await port.typing(conversation_id, parsed.on)
        elif isinstance(parsed, Auth | CardProof) or parsed in (
            LOGOUT_FRAME,
            CARD_CHALLENGE_FRAME,
            CARD_REMOVED_FRAME,
        ):
            if not self._pacing.logins.take():
                await send(_rate_limited("login"))
            elif isinstance(parsed, Auth) or parsed == LOGOUT_FRAME:
                await send(await _authenticate(port, conversation_id, parsed))
            else:
                answer = await card_frames.answer(port, conversation_id, parsed)
                # Kept in the transcript too: a reloaded page shows them again, and the agent
                # reading the history sees that (and how) the user verified.
                await port.keep_notices(conversation_id, answer.get("notices") or [])
                await send(answer)
        elif not self._pacing.messages.take():
            ref = parsed.ref if isinstance(parsed, UserMessage) else None
            await send(_rate_limited("message", ref))
        elif isinstance(parsed, UserMessage):
            inbound = InboundMessage(
                conversation_id=conversation_id,
                text=parsed.text,
                payload=parsed.payload,
                client=self._client,
                message_id=parsed.id,
            )

            async def waiting() -> None:
                await send({"type": "busy", "message": texts.BUSY, "ref": parsed.ref})

            try:
                answer = await port.handle(inbound, waiting)
            except (SQLAlchemyError, RedisError) as exc:
                await send(_unavailable(exc, "message", parsed.ref))
                return
            reply: dict[str, Any] = {"type": "messages", "messages": _wire(answer)}
            if parsed.ref is not None:
                reply["reply_to"] = parsed.ref
            await send(reply)
        else:  # START_FRAME
            try:
                answer = await port.start(conversation_id)
            except (SQLAlchemyError, RedisError) as exc:
                await send(_unavailable(exc, "start"))
                return
            await send({"type": "messages", "messages": _wire(answer)})


def _identity_frame(verified: Verified | None) -> dict[str, Any]:
    return card_frames.identity_frame(verified)


async def _who(port: ChannelPort, conversation_id: str) -> dict[str, Any] | None:
    """Who the conversation is verified as, for the session frame; None if unknown."""
    try:
        verified = await port.verified_as(conversation_id)
    except RedisError:
        return None
    return _identity_frame(verified)["identity"]


async def _authenticate(
    port: ChannelPort, conversation_id: str, frame: Auth | str
) -> dict[str, Any]:
    """Log the conversation in with a portal token, or out; the frame that tells the page."""
    try:
        if not isinstance(frame, Auth):
            await port.log_out(conversation_id)
            return _identity_frame(None)
        return _identity_frame(await port.log_in(conversation_id, frame.token))
    except PortalTokenError as exc:
        return _error("auth_failed", exc.user_message)
    except RedisError:
        return _error("auth_unavailable", texts.LOGIN_UNAVAILABLE)
