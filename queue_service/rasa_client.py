"""Talks to the Rasa server over its REST channel and HTTP API.

Rasa's REST webhook swallows action errors and answers 200 with what it has, so the only
failures we can see are transport ones: those become `RasaUnavailable` and the hub answers the
user itself instead of leaving them waiting.

A connection that drops before the answer (a reused keep-alive connection the server closed as
the message went out, or a server that died mid-turn) is not an answer either way: the
conversation's tracker says whether the message got there. Not there: it is sent once more on a
new connection. Answered: that answer is the reply, and the turn is not run twice. Received but
unanswered: the apology, as for a timeout, because the turn may still be running.

Why aiohttp and not httpx, which the rest of the project uses: every bot turn of every user goes
through this client, and measured apart (docs/performance.md) httpx costs 0.7-1.5 ms of CPU a
request against aiohttp's 0.1 ms, on the cores the Rasa servers need.
"""

import enum
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from kernel import bot_events, record_tables
from kernel.messages import Button, OutboundMessage


class ServerStatus(enum.Enum):
    UP = "up"
    SLOW = "slow"
    DOWN = "down"


class RasaUnavailable(Exception):
    """Rasa did not answer in time or answered with an error status."""


class RasaUnreachable(RasaUnavailable):
    """Rasa could not be connected to: the message never reached it, and another server may
    take it (queue_service/rasa_pool.py)."""


# Idle pooled connections are dropped after this long: below Sanic's keep-alive timeout (5 s,
# Rasa's server), so a connection is never reused just as the server closes it.
KEEPALIVE_S = 2.0
# Failures in which the connection went away before the answer came back. A refused connection
# (aiohttp.ClientConnectorError, itself a ClientOSError) is told apart before these.
DROPPED = (
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
    aiohttp.ClientConnectionResetError,
    aiohttp.ClientPayloadError,
)
# Every other failure of a request: an error status, a timeout, a body that is not JSON.
FAILED = (aiohttp.ClientError, TimeoutError, ValueError)


@dataclass(frozen=True)
class LastTurn:
    """What a conversation's tracker says of a message sent at or after some time."""

    received: bool
    answer: list[OutboundMessage] | None  # None: not received, or its turn is not complete


def to_outbound(reply: dict[str, Any]) -> OutboundMessage:
    """Convert one item of Rasa's REST reply list into the common outbound model."""
    buttons = [
        Button(title=str(b.get("title", "")), payload=str(b.get("payload", b.get("title", ""))))
        for b in reply.get("buttons") or []
    ]
    custom = reply.get("custom")
    return OutboundMessage(
        text=reply.get("text"),
        buttons=buttons,
        image=reply.get("image"),
        custom=custom if isinstance(custom, dict) else ({"value": custom} if custom else None),
    )


def from_replies(replies: list[Any]) -> list[OutboundMessage]:
    """Rasa's reply list as outbound messages, each record table back with its list.

    Rasa's REST channel sends a message's custom payload as a reply of its own, after the
    message's text and buttons; a record table (kernel/record_tables.py) belongs to that list,
    so it goes back onto it: one line with its text, buttons and table, as the action wrote it.
    The same goes for the bot's events (kernel/bot_events.py), which name what the message
    was. Other custom payloads (a handoff request) stay lines of their own, as the hub reads them.
    """
    messages: list[OutboundMessage] = []
    joined = {record_tables.KEY, bot_events.KEY}
    for reply in replies:
        if not isinstance(reply, dict):
            continue
        message = to_outbound(reply)
        custom = message.custom or {}
        alone = not (message.text or message.buttons or message.image)
        previous = messages[-1] if messages else None
        if alone and custom and set(custom) <= joined and previous and previous.custom is None:
            previous.custom = custom
            continue
        messages.append(message)
    return messages


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout_s: float) -> None:
        self.url = base_url
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=min(timeout_s, 3.0))
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        """The connection pool, made on first use: aiohttp binds it to the running loop."""
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=200, keepalive_timeout=KEEPALIVE_S)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        return self._session

    def _at(self, path: str) -> str:
        """`path` under the server's URL, which may itself carry a path (a proxy's prefix)."""
        return self.url.rstrip("/") + path

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self, sender: str, message: str, metadata: dict[str, Any] | None = None
    ) -> list[OutboundMessage]:
        body: dict[str, Any] = {"sender": sender, "message": message}
        if metadata:
            body["metadata"] = metadata
        sent_at = time.time() - 1.0  # Rasa's clock may be a little behind ours
        try:
            return await self._post_message(body)
        except DROPPED as exc:
            dropped = exc
        try:
            turn = await self.last_turn(sender, message, sent_at)
        except RasaUnavailable as exc:
            raise RasaUnreachable(f"dropped, then {exc}") from dropped
        if turn.answer is not None:
            return turn.answer
        if turn.received:
            raise RasaUnavailable(f"{type(dropped).__name__} after Rasa received the message")
        try:
            return await self._post_message(body)
        except DROPPED as exc:
            raise RasaUnavailable(f"{type(exc).__name__}: dropped twice") from exc

    async def _post_message(self, body: dict[str, Any]) -> list[OutboundMessage]:
        """One post to the REST webhook; a dropped connection is the caller's to resolve."""
        try:
            async with self._http().post(
                self._at("/webhooks/rest/webhook"), json=body, raise_for_status=True
            ) as response:
                replies = await response.json(content_type=None)
        except aiohttp.ClientConnectorError as exc:
            raise RasaUnreachable(f"{type(exc).__name__}: {exc}") from exc
        except DROPPED:
            raise
        except FAILED as exc:
            raise RasaUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(replies, list):
            raise RasaUnavailable(f"unexpected reply: {replies!r:.200}")
        return from_replies(replies)

    async def answered_since(
        self, sender: str, message: str, since: float
    ) -> list[OutboundMessage] | None:
        """What Rasa answered `message`, if it is the conversation's last user message,
        received at or after `since` (Unix time), and its turn is complete; else None. For a
        message run again after the run that sent it died: Rasa may have answered already."""
        return (await self.last_turn(sender, message, since)).answer

    async def last_turn(self, sender: str, message: str, since: float) -> LastTurn:
        """Whether `message` is the conversation's last user message, received at or after
        `since` (Unix time), and Rasa's answer to it if its turn is complete."""
        try:
            async with self._http().get(
                self._at(f"/conversations/{sender}/tracker"),
                params={"token": self._token, "include_events": "AFTER_RESTART"},
                raise_for_status=True,
            ) as response:
                events = (await response.json(content_type=None)).get("events") or []
        except (*FAILED, AttributeError) as exc:
            raise RasaUnavailable(f"{type(exc).__name__}: {exc}") from exc
        asked = [i for i, event in enumerate(events) if event.get("event") == "user"]
        if not asked:
            return LastTurn(received=False, answer=None)
        question = events[asked[-1]]
        if question.get("text") != message or (question.get("timestamp") or 0) < since:
            return LastTurn(received=False, answer=None)
        after = events[asked[-1] + 1 :]
        if not any(e.get("event") == "action" and e.get("name") == "action_listen" for e in after):
            return LastTurn(received=True, answer=None)  # still running, or died inside Rasa
        answer = [
            {"text": e.get("text"), **(e.get("data") or {})}
            for e in after
            if e.get("event") == "bot"
        ]
        return LastTurn(received=True, answer=from_replies(answer) or None)

    async def parse(self, text: str, timeout_s: float = 3.0) -> dict[str, Any]:
        """What the loaded model makes of `text` (intent, the FAQ selector's ranking), without
        a conversation: the knowledge studio's suggestions (studio/inbox.py)."""
        try:
            async with self._http().post(
                self._at("/model/parse"),
                params={"token": self._token},
                json={"text": text},
                timeout=aiohttp.ClientTimeout(total=timeout_s),
                raise_for_status=True,
            ) as response:
                parsed = await response.json(content_type=None)
        except FAILED as exc:
            raise RasaUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(parsed, dict):
            raise RasaUnavailable(f"unexpected parse: {parsed!r:.200}")
        return parsed

    async def is_ready(self, timeout_s: float = 2.0) -> bool:
        """True when Rasa answers its authenticated status endpoint with a model loaded."""
        return await self.status(timeout_s) is ServerStatus.UP

    async def status(self, timeout_s: float = 2.0) -> ServerStatus:
        """UP: the status endpoint answered with a model loaded. SLOW: no answer in time, which
        a Rasa server busy with turns also gives (its event loop runs NLU between requests), so
        it says nothing of being down. DOWN: refused, an error status, or no model."""
        try:
            async with self._http().get(
                self._at("/status"),
                params={"token": self._token},
                timeout=aiohttp.ClientTimeout(total=timeout_s),
            ) as response:
                status = await response.json(content_type=None) if response.status == 200 else {}
        except TimeoutError:
            return ServerStatus.SLOW
        except (aiohttp.ClientError, ValueError):
            return ServerStatus.DOWN
        loaded = isinstance(status, dict) and bool(status.get("model_id"))
        return ServerStatus.UP if loaded else ServerStatus.DOWN
