"""Failure modes of a Rasa server we cannot produce on demand with the real one."""

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from queue_service.warmup import SENDER_PREFIX
from tests.support.servers import http_server


@contextmanager
def silent_server() -> Iterator[str]:
    """A TCP server that accepts connections and never answers: a hung Rasa."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def closed_port_url() -> str:
    """An address where nothing listens: a Rasa that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def send_json(handler: BaseHTTPRequestHandler, body: object) -> None:
    """A 200 answer with `body` as JSON, its length given (the connection may be kept)."""
    data = json.dumps(body, ensure_ascii=False).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


@dataclass
class RecordingRasa:
    """A Rasa REST webhook that answers every message and keeps what it was sent."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    # The service's own warm-up turns (queue_service/warmup.py), kept apart from users' turns.
    warmups: list[dict[str, Any]] = field(default_factory=list)
    # How late /status answers (set while running: a Rasa server busy with turns).
    status_delay_s: float = 0.0

    def last(self) -> dict[str, Any]:
        assert self.received, "the stand-in Rasa received nothing"
        return self.received[-1]


@contextmanager
def recording_rasa(
    delay_s: float = 0.0, answers: dict[str, list[dict[str, Any]]] | None = None
) -> Iterator[RecordingRasa]:
    """Answers "收到：<message>" to each webhook post, "/handoff" with the handoff payload, and
    reports a loaded model on /status; every request body is recorded, metadata included.
    ``answers`` gives other replies for some messages; ``delay_s`` makes every answer late."""
    rasa = RecordingRasa(url="")

    class Handler(BaseHTTPRequestHandler):
        def _json(self, body: object) -> None:
            send_json(self, body)

        def do_GET(self) -> None:
            if rasa.status_delay_s:
                time.sleep(rasa.status_delay_s)
            self._json({"model_id": "stand-in"})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            warmup = str(body.get("sender", "")).startswith(SENDER_PREFIX)
            (rasa.warmups if warmup else rasa.received).append(body)
            if delay_s:
                time.sleep(delay_s)
            if answers and body.get("message") in answers:
                self._json(answers[body["message"]])
            elif body.get("message") == "/handoff":
                self._json([{"custom": {"handoff": {"skill": "other"}}}])
            else:
                self._json([{"text": f"收到：{body.get('message')}"}])

        def log_message(self, *args: object) -> None:
            pass

    with http_server(Handler) as url:
        rasa.url = url
        yield rasa


@dataclass
class DroppingRasa:
    """A Rasa that keeps connections alive and drops some as a message arrives."""

    url: str
    posts: list[str] = field(default_factory=list)  # messages it heard, drops included
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # its trackers


@contextmanager
def dropping_rasa(
    unheard: tuple[str, ...] = (), answered: tuple[str, ...] = (), running: tuple[str, ...] = ()
) -> Iterator[DroppingRasa]:
    """Answers "收到：<message>" over HTTP/1.1 keep-alive; the first post of a message in
    `unheard` is dropped before Rasa saw it (a keep-alive connection closed as it went out), in
    `answered` after its turn was complete and in `running` while its turn runs (a server dying
    mid-turn): the connection closes without a response. GET /conversations/<id>/tracker shows
    the turns as Rasa's tracker does (user, bot, action_listen events)."""
    rasa = DroppingRasa(url="")
    dropped: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _json(self, body: object) -> None:
            send_json(self, body)

        def do_GET(self) -> None:
            sender = self.path.split("/conversations/", 1)[-1].split("/", 1)[0]
            self._json({"model_id": "stand-in", "events": rasa.events.get(sender, [])})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            sender, message = body["sender"], body["message"]
            first = message not in dropped
            if first and message in unheard:
                dropped.add(message)
                self.close_connection = True
                return
            rasa.posts.append(message)
            events = rasa.events.setdefault(sender, [])
            events.append({"event": "user", "text": message, "timestamp": time.time()})
            if first and message in running:
                dropped.add(message)
                self.close_connection = True
                return
            answer = f"收到：{message}"
            events.append({"event": "bot", "text": answer, "timestamp": time.time()})
            events.append({"event": "action", "name": "action_listen"})
            if first and message in answered:
                dropped.add(message)
                self.close_connection = True
                return
            self._json([{"text": answer}])

        def log_message(self, *args: object) -> None:
            pass

    with http_server(Handler) as url:
        rasa.url = url
        yield rasa
