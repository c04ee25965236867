"""The floor for bench/connections.py: a websocket server that does nothing but hold sockets.

It answers a connection with one small frame, as the chat sends its session frame, and then
waits for the client to go; GET / says it is up.
"""

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


async def up(_request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({"type": "session", "conversation_id": "", "history": []})
    try:
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass


app = Starlette(routes=[Route("/", up), WebSocketRoute("/ws", socket)])
