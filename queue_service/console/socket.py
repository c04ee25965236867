"""The console's websocket: events for the agent as they happen, and the agent's presence.

Server → console: {"type": "assigned" | "closed", "conversation_id"}, {"type": "message",
"conversation_id", "message"}, {"type": "typing", "conversation_id", "on"}, {"type": "queue"}
(the waiting lists changed: reload them). Console → server: {"type": "typing",
"conversation_id", "on"}. While a socket is open the agent counts as present; once none has
been for the grace period, the handoff round gives their users back to the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status

from queue_service.console.auth import staff_of
from queue_service.handoff.switchboard import CONSOLE_TOPIC, NotYourChat, agent_topic

router = APIRouter()


@router.websocket("/console/ws")
async def console_socket(websocket: WebSocket) -> None:
    staff = await staff_of(websocket)
    if staff is None:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="not logged in")
        return
    app = websocket.app
    grace_s = app.state.settings.agent_grace_s
    await websocket.accept()
    async with app.state.bus.listen(agent_topic(staff.username), CONSOLE_TOPIC) as events:
        tasks = [
            asyncio.create_task(_forward(websocket, events)),
            asyncio.create_task(_keep_present(app.state.queue, staff.username, grace_s)),
        ]
        try:
            await _receive(websocket, app.state.switchboard, staff.username)
        except WebSocketDisconnect:
            pass
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                    await task


async def _forward(websocket: WebSocket, events: asyncio.Queue) -> None:
    while True:
        await websocket.send_json(await events.get())


async def _keep_present(queue, username: str, grace_s: int) -> None:
    while True:
        await queue.touch_presence(username, grace_s)
        await asyncio.sleep(max(1.0, grace_s / 3))


async def _receive(websocket: WebSocket, switchboard, username: str) -> None:
    while True:
        frame = await websocket.receive()
        if frame["type"] == "websocket.disconnect":
            return
        try:
            event = json.loads(frame.get("text") or "")
        except ValueError:
            continue
        if not isinstance(event, dict) or event.get("type") != "typing":
            continue
        conversation_id = event.get("conversation_id")
        if isinstance(conversation_id, str):
            with contextlib.suppress(NotYourChat):
                await switchboard.typing(username, conversation_id, event.get("on") is True)
