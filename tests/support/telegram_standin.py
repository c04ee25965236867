"""Telegram's side of the protocol for tests: a Bot API server, and the users who write to it.

``telegram_api()`` answers the Bot API methods the channel calls (``POST /bot<token>/<method>``,
form-encoded as python-telegram-bot sends them, answers ``{"ok": true, "result": ...}``) on a
free port: getMe, setMyCommands, setWebhook, deleteWebhook, getUpdates (long-polled, for the
polling mode), sendMessage, sendChatAction, answerCallbackQuery, sendPhoto (multipart, as PTB
uploads a file), getFile and the file download (``GET /file/bot<token>/<path>``) of the photos a
test puts in ``files``. It records what it was sent,
and can be told to answer the next sends with 429 and ``retry_after``. ``TelegramUser`` builds
the updates a user's Telegram client causes (text, commands, button presses).
"""

import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote

from tests.support.servers import http_server

BOT_ID = 7000000001
TOKEN = f"{BOT_ID}:AAtest-token-for-the-stand-in"
USERNAME = "swa_test_bot"


@dataclass
class TelegramApiStandIn:
    url: str = ""
    sent: list[dict[str, Any]] = field(default_factory=list)  # sendMessage params, in order
    actions: list[dict[str, Any]] = field(default_factory=list)  # sendChatAction
    answered: list[dict[str, Any]] = field(default_factory=list)  # answerCallbackQuery
    calls: list[str] = field(default_factory=list)  # every method, in order
    webhook: dict[str, Any] = field(default_factory=dict)
    commands: list[dict[str, Any]] = field(default_factory=list)
    # retry_after seconds for the next sendMessage calls, one each (429 Too Many Requests).
    retry_after_next: list[int] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    # Files users sent (file_id -> bytes), for getFile and the download; sendPhoto's params.
    files: dict[str, bytes] = field(default_factory=dict)
    photos: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)

    def push(self, update: dict[str, Any]) -> None:
        """An update for getUpdates (polling mode)."""
        with self.lock:
            self.updates.append(update)
            self.lock.notify_all()

    def texts(self, chat_id: int | None = None) -> list[str]:
        with self.lock:
            return [m["text"] for m in self.sent if chat_id in (None, int(m["chat_id"]))]

    def wait_for(self, count: int, chat_id: int | None = None, timeout_s: float = 10) -> list[str]:
        """The texts sent to the chat, once there are at least ``count`` of them."""
        deadline = time.monotonic() + timeout_s
        while len(self.texts(chat_id)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        texts = self.texts(chat_id)
        assert len(texts) >= count, f"expected {count} messages, got {texts}"
        return texts

    def last_keyboard(self, chat_id: int) -> list[dict[str, Any]]:
        """The buttons of the last message with a keyboard sent to the chat."""
        with self.lock:
            for message in reversed(self.sent):
                if int(message["chat_id"]) == chat_id and message.get("reply_markup"):
                    return [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
        return []


@contextmanager
def telegram_api() -> Iterator[TelegramApiStandIn]:
    api = TelegramApiStandIn()
    message_ids = itertools.count(100)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, body: dict[str, Any], status: int = 200) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _params(self) -> dict[str, Any]:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            kind = self.headers.get("Content-Type", "")
            if kind.startswith("application/json"):
                return json.loads(body or "{}")
            if kind.startswith("multipart/form-data"):
                return _multipart(kind, body)
            params: dict[str, Any] = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            for key in ("reply_markup", "allowed_updates", "commands"):
                if key in params:
                    params[key] = json.loads(params[key])
            return params

        def do_POST(self) -> None:
            prefix = f"/bot{TOKEN}/"
            if not self.path.startswith(prefix):
                return self._answer(
                    {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
                )
            method = self.path[len(prefix) :]
            params = self._params()
            with api.lock:
                api.calls.append(method)
            handler = getattr(self, f"_{method}", None)
            if handler is None:
                return self._answer(
                    {"ok": False, "error_code": 404, "description": "Not Found"}, 404
                )
            return handler(params)

        def _ok(self, result: Any) -> None:
            self._answer({"ok": True, "result": result})

        def _getMe(self, _: dict) -> None:
            self._ok(
                {
                    "id": BOT_ID,
                    "is_bot": True,
                    "first_name": "单一窗口智能客服",
                    "username": USERNAME,
                    "can_join_groups": False,
                    "can_read_all_group_messages": False,
                    "supports_inline_queries": False,
                }
            )

        def _setMyCommands(self, params: dict) -> None:
            api.commands = params["commands"]
            self._ok(True)

        def _setWebhook(self, params: dict) -> None:
            api.webhook = params
            self._ok(True)

        def _deleteWebhook(self, _: dict) -> None:
            api.webhook = {}
            self._ok(True)

        def _getUpdates(self, params: dict) -> None:
            offset = int(params.get("offset", 0))
            deadline = time.monotonic() + min(float(params.get("timeout", 0)), 2.0)
            with api.lock:
                while True:
                    ready = [u for u in api.updates if u["update_id"] >= offset]
                    left = deadline - time.monotonic()
                    if ready or left <= 0:
                        break
                    api.lock.wait(left)
            self._ok(ready)

        def _sendMessage(self, params: dict) -> None:
            with api.lock:
                if api.retry_after_next:
                    seconds = api.retry_after_next.pop(0)
                    return self._answer(
                        {
                            "ok": False,
                            "error_code": 429,
                            "description": f"Too Many Requests: retry after {seconds}",
                            "parameters": {"retry_after": seconds},
                        },
                        429,
                    )
                params = {**params, "at": time.monotonic()}
                api.sent.append(params)
            chat_id = int(params["chat_id"])
            message = {
                "message_id": next(message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": params["text"],
            }
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            self._ok(message)

        def _sendPhoto(self, params: dict) -> None:
            with api.lock:
                api.photos.append(params)
            chat = {"id": int(params["chat_id"]), "type": "private"}
            size = {"file_id": "sent", "file_unique_id": "sent", "width": 1, "height": 1}
            self._ok(
                {
                    "message_id": next(message_ids),
                    "date": int(time.time()),
                    "chat": chat,
                    "photo": [size],
                }
            )

        def _getFile(self, params: dict) -> None:
            data = api.files.get(params.get("file_id", ""))
            if data is None:
                return self._answer(
                    {"ok": False, "error_code": 400, "description": "Bad Request: wrong file_id"},
                    400,
                )
            self._ok(
                {
                    "file_id": params["file_id"],
                    "file_unique_id": params["file_id"],
                    "file_size": len(data),
                    "file_path": f"photos/{params['file_id']}.jpg",
                }
            )

        def do_GET(self) -> None:
            path = unquote(self.path)  # the client may escape the token's colon
            prefix = f"/file/bot{TOKEN}/photos/"
            file_id = path[len(prefix) :].removesuffix(".jpg")
            data = api.files.get(file_id) if path.startswith(prefix) else None
            if data is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _sendChatAction(self, params: dict) -> None:
            with api.lock:
                api.actions.append(params)
            self._ok(True)

        def _answerCallbackQuery(self, params: dict) -> None:
            with api.lock:
                api.answered.append(params)
            self._ok(True)

        def log_message(self, *args: object) -> None:
            pass

    with http_server(Handler) as url:
        api.url = url
        yield api


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """A multipart/form-data body's fields: files as bytes, the rest as text."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    params: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        params[name] = data if part.get_filename() else data.decode()
    return params


_update_ids = itertools.count(int(time.time()) % 100000 * 1000)


class TelegramUser:
    """A private chat's user: the updates their client makes Telegram send to the bot."""

    def __init__(self, chat_id: int, first_name: str = "测试用户") -> None:
        self.chat_id = chat_id
        self._user = {"id": chat_id, "is_bot": False, "first_name": first_name}
        self._chat = {"id": chat_id, "type": "private", "first_name": first_name}
        self._message_ids = itertools.count(1)

    def _message(self, **fields: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "from": self._user,
            "chat": self._chat,
            **fields,
        }

    def text(self, text: str) -> dict[str, Any]:
        message = self._message(text=text)
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"update_id": next(_update_ids), "message": message}

    def photo(self, *sizes: tuple[str, int, int | None]) -> dict[str, Any]:
        """A photo in the sizes Telegram made of it: (file_id, width, file_size) each."""
        made = [
            {"file_id": file_id, "file_unique_id": file_id, "width": width, "height": width}
            | ({"file_size": size} if size is not None else {})
            for file_id, width, size in sizes or [("AgAD", 90, None)]
        ]
        return {"update_id": next(_update_ids), "message": self._message(photo=made)}

    def press(self, api: TelegramApiStandIn, title: str) -> dict[str, Any]:
        """A press on the button titled ``title`` of the last keyboard the bot sent."""
        with api.lock:
            for sent in reversed(api.sent):
                if int(sent["chat_id"]) != self.chat_id or not sent.get("reply_markup"):
                    continue
                for row in sent["reply_markup"]["inline_keyboard"]:
                    for button in row:
                        if button["text"] == title:
                            return self._callback(sent, button["callback_data"])
        raise AssertionError(f"no button {title!r} was sent to chat {self.chat_id}")

    def _callback(self, sent: dict[str, Any], data: str) -> dict[str, Any]:
        message = {
            "message_id": 1,
            "date": int(time.time()),
            "chat": self._chat,
            "text": sent["text"],
            "reply_markup": sent["reply_markup"],
        }
        query = {
            "id": str(next(_update_ids)),
            "from": self._user,
            "chat_instance": str(self.chat_id),
            "message": message,
            "data": data,
        }
        return {"update_id": next(_update_ids), "callback_query": query}
