"""What a user did, from the fields of a (decrypted) callback.

Only what the assistant acts on is told apart: text, images (for the agent serving the user),
subscribe, unsubscribe and menu clicks.
Everything else a user can send (voice, video, location, link, file…) is ``Unsupported``
and gets a polite answer; other events (view, scan, location reports) are ``Ignored``.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    openid: str
    account: str
    text: str


@dataclass(frozen=True)
class Image:
    openid: str
    account: str
    media_id: str  # fetched with media/get; PicUrl is not used (a plain URL, no token)


@dataclass(frozen=True)
class Subscribe:
    openid: str
    account: str


@dataclass(frozen=True)
class Unsubscribe:
    openid: str
    account: str


@dataclass(frozen=True)
class Click:
    openid: str
    account: str
    key: str


@dataclass(frozen=True)
class Unsupported:
    openid: str
    account: str
    kind: str


@dataclass(frozen=True)
class Ignored:
    openid: str
    account: str


Inbound = Text | Image | Subscribe | Unsubscribe | Click | Unsupported | Ignored


class Malformed(ValueError):
    """A field every message has is missing."""


def read(fields: dict[str, str]) -> Inbound:
    openid, account = fields.get("FromUserName", ""), fields.get("ToUserName", "")
    kind = fields.get("MsgType", "").strip().lower()
    if not openid or not kind:
        raise Malformed("FromUserName and MsgType are required")
    if kind == "text":
        return Text(openid, account, fields.get("Content", ""))
    if kind == "image" and fields.get("MediaId"):
        return Image(openid, account, fields["MediaId"])
    if kind != "event":
        return Unsupported(openid, account, kind)
    event = fields.get("Event", "").strip().lower()
    if event == "subscribe":
        return Subscribe(openid, account)
    if event == "unsubscribe":
        return Unsubscribe(openid, account)
    if event == "click":
        return Click(openid, account, fields.get("EventKey", ""))
    return Ignored(openid, account)


def dedupe_key(fields: dict[str, str]) -> str:
    """WeChat retries a callback it got no answer to: messages by MsgId, events by user + time."""
    msg_id = fields.get("MsgId")
    if msg_id:
        return f"msg:{msg_id}"
    return f"event:{fields.get('FromUserName', '')}:{fields.get('CreateTime', '')}"
