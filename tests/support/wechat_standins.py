"""WeChat's side of the protocol for tests: its API server, and its callbacks to us.

``wechat_api()`` serves the endpoints the channel calls (token, customer-service send, menu
create, media/get of the images a test puts in ``media``, media/upload) on a free port, records
what it was sent, and can be told to answer with WeChat's error codes. ``WeChatSender`` builds
the callbacks WeChat's servers would send: signed, and in safe mode encrypted with wechatpy's
own crypto.
"""

import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

from wechatpy.crypto import WeChatCrypto

from integrations.wechat.signature import sign
from tests.support.servers import http_server


@dataclass
class WeChatApiStandIn:
    url: str = ""
    token: str = ""
    token_fetches: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)
    menus: list[dict[str, Any]] = field(default_factory=list)
    # errcodes the next customer-service sends answer with, one each.
    fail_next: list[int] = field(default_factory=list)
    # Images users sent (MediaId -> bytes) for media/get; what media/upload was given.
    media: dict[str, bytes] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)

    def expire_token(self) -> None:
        """WeChat invalidates the token (another fetch elsewhere, or its 2 hours are up)."""
        self.token = "expired"

    def texts(self, openid: str | None = None) -> list[str]:
        return [
            m["text"]["content"]
            for m in self.sent
            if openid in (None, m["touser"]) and m["msgtype"] == "text"
        ]

    def images(self, openid: str) -> list[bytes]:
        """The images sent to the user as image messages, as uploaded."""
        return [
            self.uploads[m["image"]["media_id"]]
            for m in self.sent
            if m["touser"] == openid and m["msgtype"] == "image"
        ]

    def wait_for_sent(self, count: int, timeout_s: float = 10) -> list[str]:
        deadline = time.monotonic() + timeout_s
        while len(self.sent) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.texts()


@contextmanager
def wechat_api() -> Iterator[WeChatApiStandIn]:
    api = WeChatApiStandIn()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _json(self, body: object) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            if url.path == "/cgi-bin/media/get":
                return self._media(query)
            if url.path != "/cgi-bin/token":
                return self._json({"errcode": 404, "errmsg": "not found"})
            if query.get("grant_type") != ["client_credential"] or query.get("secret") != [
                "test-secret"
            ]:
                return self._json({"errcode": 40125, "errmsg": "invalid appsecret"})
            with lock:
                api.token_fetches += 1
                api.token = f"token-{api.token_fetches}"
                return self._json({"access_token": api.token, "expires_in": 7200})

        def _media(self, query: dict[str, list[str]]) -> None:
            with lock:
                if query.get("access_token") != [api.token]:
                    return self._json({"errcode": 40001, "errmsg": "invalid credential"})
                data = api.media.get(query.get("media_id", [""])[0])
            if data is None:
                return self._json({"errcode": 40007, "errmsg": "invalid media_id"})
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _upload(self, raw: bytes) -> None:
            content_type = self.headers["Content-Type"]
            form = BytesParser(policy=HTTP).parsebytes(
                f"Content-Type: {content_type}\r\n\r\n".encode() + raw
            )
            [part] = [
                p
                for p in form.iter_parts()
                if p.get_param("name", header="content-disposition") == "media"
            ]
            media_id = f"uploaded-{len(api.uploads) + 1}"
            api.uploads[media_id] = part.get_payload(decode=True)
            self._json({"type": "image", "media_id": media_id, "created_at": int(time.time())})

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            token = parse_qs(url.query).get("access_token", [""])[0]
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            if url.path == "/cgi-bin/media/upload":
                with lock:
                    if token != api.token:
                        return self._json({"errcode": 40001, "errmsg": "invalid credential"})
                    return self._upload(raw)
            body = json.loads(raw)
            with lock:
                if token != api.token:
                    return self._json({"errcode": 40001, "errmsg": "invalid credential"})
                if url.path == "/cgi-bin/message/custom/send":
                    if api.fail_next:
                        code = api.fail_next.pop(0)
                        return self._json({"errcode": code, "errmsg": "stand-in error"})
                    api.sent.append(body)
                elif url.path == "/cgi-bin/menu/create":
                    api.menus.append(body)
                else:
                    return self._json({"errcode": 404, "errmsg": "not found"})
            self._json({"errcode": 0, "errmsg": "ok"})

        def log_message(self, *args: object) -> None:
            pass

    with http_server(Handler) as url:
        api.url = url
        yield api


ACCOUNT = "gh_standin_account"


def message_xml(fields: dict[str, str | int]) -> str:
    def cdata(value: str) -> str:
        return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"

    inner = "".join(
        f"<{k}>{v}</{k}>" if isinstance(v, int) else f"<{k}>{cdata(v)}</{k}>"
        for k, v in fields.items()
    )
    return f"<xml>{inner}</xml>"


class WeChatSender:
    """Builds callbacks as WeChat's servers send them, plain or in safe mode."""

    def __init__(self, token: str, appid: str = "", aes_key: str = "") -> None:
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None
        # Random like WeChat's: a second sender must not replay the first one's MsgIds.
        self._msg_ids = iter(range(10**15 + secrets.randbelow(10**15), 10**16))
        self._times = iter(range(int(time.time()), 2**31))

    def query(self, **extra: str) -> dict[str, str]:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        return {
            "signature": sign(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            **extra,
        }

    def text(self, openid: str, content: str, msg_id: int | None = None) -> dict[str, str | int]:
        return {
            "ToUserName": ACCOUNT,
            "FromUserName": openid,
            "CreateTime": next(self._times),
            "MsgType": "text",
            "Content": content,
            "MsgId": msg_id if msg_id is not None else next(self._msg_ids),
        }

    def event(self, openid: str, event: str, key: str | None = None) -> dict[str, str | int]:
        fields: dict[str, str | int] = {
            "ToUserName": ACCOUNT,
            "FromUserName": openid,
            "CreateTime": next(self._times),
            "MsgType": "event",
            "Event": event,
        }
        if key is not None:
            fields["EventKey"] = key
        return fields

    def media(self, openid: str, kind: str, media_id: str = "media-1") -> dict[str, str | int]:
        return {
            "ToUserName": ACCOUNT,
            "FromUserName": openid,
            "CreateTime": next(self._times),
            "MsgType": kind,
            "MediaId": media_id,
            "MsgId": next(self._msg_ids),
        }

    def callback(self, fields: dict[str, str | int]) -> tuple[dict[str, str], str]:
        """(query parameters, body) of the POST WeChat sends for these fields."""
        plain = message_xml(fields)
        query = self.query(openid=str(fields["FromUserName"]))
        if self.crypto is None:
            return query, plain
        # wechatpy encrypts and signs, as WeChat would; the body keeps only what WeChat sends.
        envelope = ElementTree.fromstring(
            self.crypto.encrypt_message(plain, query["nonce"], query["timestamp"])
        )
        encrypted = envelope.findtext("Encrypt") or ""
        query["encrypt_type"] = "aes"
        query["msg_signature"] = envelope.findtext("MsgSignature") or ""
        return query, message_xml({"ToUserName": ACCOUNT, "Encrypt": encrypted})

    def open_reply(self, query: dict[str, str], reply: str) -> str:
        """The plain XML of a passive reply (decrypted and its signature checked in safe mode)."""
        if self.crypto is None:
            return reply
        envelope = ElementTree.fromstring(reply)
        return self.crypto.decrypt_message(
            reply,
            envelope.findtext("MsgSignature"),
            envelope.findtext("TimeStamp"),
            envelope.findtext("Nonce"),
        )
