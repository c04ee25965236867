"""The console's websocket: events for the agent as they happen, and the agent's presence.

Server → console: {"type": "assigned" | "closed", "conversation_id"} ("closed" with "taken_by"
when a supervisor took the chat over), {"type": "message", "conversation_id", "message"},
{"type": "typing", "conversation_id", "on"}, {"type": "queue"} and {"type": "tickets"} (the
waiting lists or tickets changed: reload them), {"type": "note", "note"} (a note or a
supervisor's whisper on one of the agent's chats); for a supervisor listening in,
{"type": "listening", "conversation_id", "on", "detail"?} and {"type": "watch",
"conversation_id", "messages"}. Console → server: {"type": "typing", "conversation_id", "on"};
a supervisor's {"type": "listen" | "unlisten", "conversation_id"} (console/listening.py).
While a socket is open the agent counts as present; once none has been for the grace period,
the handoff round gives their users back to the queue.

Only the console's own pages may open it (Origin), only with a session, and only while the
session holds: it is checked again every SESSION_CHECK_S, and once it has ended (logout,
expiry, password change, deactivation, role change, on any instance) the socket is closed with
1008 and a reason the page shows on its login screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from queue_service.agents.accounts import Role
from queue_service.agents.sessions import StaffSession
from queue_service.bus import Event
from queue_service.console import texts
from queue_service.console.auth import staff_of
from queue_service.console.listening import Listening
from queue_service.console.origin import origin_allowed
from queue_service.deps import AppSettings, Board, EventBus, Queue
from queue_service.handoff.queue import HandoffQueue
from queue_service.handoff.switchboard import NotYourChat, Switchboard
from queue_service.topics import CONSOLE_TOPIC, agent_topic

log = logging.getLogger(__name__)

router = APIRouter()

SESSION_CHECK_S = 2.0


@router.websocket("/console/ws")
async def console_socket(
    websocket: WebSocket, settings: AppSettings, bus: EventBus, queue: Queue, board: Board
) -> None:
    if not origin_allowed(websocket, required=True):
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason=texts.FOREIGN_ORIGIN)
        return
    staff = await staff_of(websocket)
    if staff is None:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason=texts.NOT_LOGGED_IN)
        return
    if staff.role is Role.MAINTAINER:  # keeps the knowledge base: never present for users
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason=texts.KNOWLEDGE_ONLY)
        return
    grace_s = settings.agent_grace_s
    await websocket.accept()
    async with bus.listen(agent_topic(staff.username), CONSOLE_TOPIC) as events:
        listening = Listening(bus, events)
        tasks = [
            asyncio.create_task(_forward(websocket, events)),
            asyncio.create_task(_keep_present(queue, staff.username, grace_s)),
        ]
        receiving = asyncio.create_task(_receive(websocket, board, staff, listening, events))
        watching = asyncio.create_task(_watch_session(websocket))
        tasks += [receiving, watching]
        try:
            await asyncio.wait({receiving, watching}, return_when=asyncio.FIRST_COMPLETED)
            if not receiving.done():
                # The session ended; a console that hangs up meanwhile needs no close.
                with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                    await websocket.close(
                        code=status.WS_1008_POLICY_VIOLATION, reason=texts.SESSION_ENDED
                    )
        finally:
            await listening.close()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                    await task


async def _watch_session(websocket: WebSocket) -> None:
    """Return once the socket's session has ended (a check that fails is tried again)."""
    while True:
        await asyncio.sleep(SESSION_CHECK_S)
        try:
            if await staff_of(websocket, extend=False) is None:
                return
        except (RedisError, SQLAlchemyError) as exc:
            log.warning("console session check failed", extra={"error": str(exc)})


async def _forward(websocket: WebSocket, events: asyncio.Queue) -> None:
    while True:
        await websocket.send_json(await events.get())


PRESENCE_RETRY_S = 1.0


async def _keep_present(queue: HandoffQueue, username: str, grace_s: int) -> None:
    """Refresh the agent's presence while the socket is open. A refresh that fails (Redis down
    or hanging) is tried again every PRESENCE_RETRY_S: presence outlives the grace period only
    if the refresh outlives the outage, else the agent's users would be requeued while the
    console still looks connected."""
    while True:
        try:
            await queue.touch_presence(username, grace_s)
        except RedisError as exc:
            log.warning("presence refresh failed", extra={"error": str(exc)})
            await asyncio.sleep(PRESENCE_RETRY_S)
            continue
        await asyncio.sleep(max(1.0, grace_s / 3))


async def _receive(
    websocket: WebSocket,
    switchboard: Switchboard,
    staff: StaffSession,
    listening: Listening,
    out: asyncio.Queue[Event],
) -> None:
    while True:
        frame = await websocket.receive()
        if frame["type"] == "websocket.disconnect":
            return
        try:
            event = json.loads(frame.get("text") or "")
        except ValueError:
            continue
        if not isinstance(event, dict) or not isinstance(event.get("conversation_id"), str):
            continue
        conversation_id = event["conversation_id"]
        kind = event.get("type")
        if kind == "typing":
            with contextlib.suppress(NotYourChat):
                await switchboard.typing(staff.username, conversation_id, event.get("on") is True)
        elif kind in ("listen", "unlisten") and staff.role is not Role.SUPERVISOR:
            refusal = {"type": "listening", "conversation_id": conversation_id, "on": False}
            await out.put({**refusal, "detail": texts.SUPERVISORS_ONLY})
        elif kind == "listen":
            await listening.start(conversation_id)
        elif kind == "unlisten":
            await listening.stop(conversation_id)
