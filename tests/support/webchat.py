"""Opening the web chat socket as the chat page does: from an allowed Origin, then the first
frame that resumes a conversation by its secret or asks for a new one (integrations/webchat).

One helper for each client the tests and benchmarks use: Starlette's TestClient, and the
`websockets` library's asyncio and sync clients against a running service.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any
from urllib.parse import urlsplit

from starlette.testclient import TestClient, WebSocketTestSession
from websockets.asyncio.client import ClientConnection, connect
from websockets.sync.client import ClientConnection as SyncClientConnection
from websockets.sync.client import connect as connect_sync
from websockets.typing import Origin

PATH = "/channels/webchat/ws"
# TestClient's requests go to http://testserver: the page's own origin there.
TEST_ORIGIN = "http://testserver"


def hello(secret: str | None = None) -> dict[str, str]:
    """The first frame: resume the conversation the secret holds, or open a new one."""
    return {"type": "resume", "secret": secret} if secret is not None else {"type": "new"}


@contextmanager
def open_chat(
    client: TestClient, secret: str | None = None, origin: str | None = TEST_ORIGIN
) -> Iterator[WebSocketTestSession]:
    """The socket, hello sent; the session frame is the first to receive."""
    headers = {"origin": origin} if origin is not None else {}
    with client.websocket_connect(PATH, headers=headers) as ws:
        ws.send_json(hello(secret))
        yield ws


def page_origin(ws_url: str) -> Origin:
    """The origin of the chat page served by the service behind a ws:// or wss:// URL."""
    parts = urlsplit(ws_url)
    return Origin(f"{'https' if parts.scheme == 'wss' else 'http'}://{parts.netloc}")


@asynccontextmanager
async def connect_chat(
    ws_url: str, secret: str | None = None, **options: Any
) -> AsyncIterator[ClientConnection]:
    async with connect(ws_url, origin=page_origin(ws_url), **options) as ws:
        await ws.send(json.dumps(hello(secret)))
        yield ws


@contextmanager
def connect_chat_sync(
    ws_url: str, secret: str | None = None, **options: Any
) -> Iterator[SyncClientConnection]:
    with connect_sync(ws_url, origin=page_origin(ws_url), **options) as ws:
        ws.send(json.dumps(hello(secret)))
        yield ws
