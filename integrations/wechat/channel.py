"""One callback, one turn: what the user did goes to the hub, the answer back within 5 seconds.

WeChat waits 5 seconds for a passive reply, then retries (three tries in all). The turn runs as
a task; if it is done within ``reply_deadline_s`` its answer is the passive reply, else the
callback answers ``success`` and the answer follows through the customer-service API when it
is ready. Either way the answer is one text (the hub's lines joined, buttons numbered), and
what the outbox kept for the user while their quota was spent comes first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import Redis

from integrations import media, texts
from integrations.relay import AfterTurn
from integrations.user_input import Refusal, user_text
from integrations.wechat import envelope, inbound, menu
from integrations.wechat.api import WeChatApi, WeChatApiError
from integrations.wechat.options import Options
from integrations.wechat.outbox import Outbox
from integrations.wechat.render import render
from integrations.wechat.replay import Replays
from kernel.conversation_ids import conversation_id
from kernel.messages import InboundMessage, StoredMessage
from queue_service.port import ChannelPort

log = logging.getLogger(__name__)

CHANNEL = "wechat"
REPLY_DEADLINE_S = 4.5


class Turns:
    """Runs the turns of callbacks; keeps late ones going until they are delivered."""

    def __init__(
        self,
        redis: Redis,
        port: ChannelPort,
        api: WeChatApi,
        outbox: Outbox,
        max_chars: int,
        reply_deadline_s: float = REPLY_DEADLINE_S,
        after_turn: AfterTurn | None = None,
    ) -> None:
        self._port = port
        self._api = api
        self._outbox = outbox
        self._options = Options(redis)
        self._replays = Replays(redis)
        self._max_chars = max_chars
        self._deadline = reply_deadline_s
        # Called with the conversation id after each turn (the handoff relay's hook).
        self._after_turn = after_turn
        self._late: set[asyncio.Task] = set()

    async def answer(self, fields: dict[str, str]) -> str | None:
        """The passive reply's XML, or None to answer ``success``."""
        event = inbound.read(fields)
        key = inbound.dedupe_key(fields)
        if not await self._replays.claim(key):
            log.info("wechat retry answered from the first delivery", extra={"key": key})
            return await self._replays.answer(key)
        turn = asyncio.create_task(self._turn(event))
        done, _ = await asyncio.wait({turn}, timeout=self._deadline)
        if turn in done:
            text = turn.result()
            reply = envelope.text_reply(event.openid, event.account, text) if text else None
            await self._replays.answered(key, reply or "success")
            return reply
        await self._replays.answered(key, "success")
        late = asyncio.create_task(self._deliver_late(event.openid, turn))
        self._late.add(late)
        late.add_done_callback(self._late.discard)
        return None

    async def _deliver_late(self, openid: str, turn: asyncio.Task[str | None]) -> None:
        text = await turn
        if text:
            await self._outbox.send(openid, text)

    async def drain(self) -> None:
        """Let late answers go out before the service stops (they are awaited, not cut)."""
        if self._late:
            await asyncio.wait(set(self._late), timeout=15)
        for task in list(self._late):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _turn(self, event: inbound.Inbound) -> str | None:
        try:
            return await self._run(event)
        except Exception:
            log.exception("wechat turn failed")
            return texts.FAILED

    async def _run(self, event: inbound.Inbound) -> str | None:
        conversation = conversation_id(CHANNEL, event.openid)
        if isinstance(event, inbound.Ignored):
            return None
        if isinstance(event, inbound.Unsubscribe):
            await self._options.remember(conversation, [])
            return None
        # Anything the user does opens a new customer-service window.
        kept = await self._outbox.user_spoke(event.openid)
        replies: list[StoredMessage] = []
        if isinstance(event, inbound.Unsupported):
            return _join([*kept, texts.UNSUPPORTED])
        if isinstance(event, inbound.Image):
            told = await self._image(conversation, event.media_id)
            if told is not None:
                return _join([*kept, told])
        elif isinstance(event, inbound.Subscribe):
            replies = await self._port.start(conversation)
        else:
            message = await self._message(conversation, event)
            if isinstance(message, str):
                return _join([*kept, message])
            if message is not None:
                replies = await self._port.handle(message)
        if self._after_turn is not None:
            await self._after_turn(conversation, replies)
        if not replies:
            return _join(kept)  # e.g. said to an agent: their reply comes by the relay
        rendered = render(replies)
        await self._options.remember(conversation, rendered.buttons)
        return _join([*kept, rendered.text])

    async def _image(self, conversation: str, media_id: str) -> str | None:
        """The user's image to their agent (media/get); what to tell the user instead."""

        async def download(max_bytes: int) -> bytes:
            try:
                return await self._api.media(media_id, max_bytes)
            except WeChatApiError as exc:
                raise media.DownloadFailed(str(exc)) from exc

        return await media.from_user(self._port, conversation, download)

    async def _message(
        self, conversation: str, event: inbound.Text | inbound.Click
    ) -> InboundMessage | str | None:
        """The hub's message for a text or click; a str is an answer given without the hub."""
        if isinstance(event, inbound.Click):
            button = menu.ENTRIES.get(event.key)
            if button is None:
                log.warning("unknown wechat menu key", extra={"key": event.key})
                return None
            return InboundMessage(
                conversation_id=conversation, text=button.title, payload=button.payload
            )
        text = user_text(event.text, self._max_chars)
        if isinstance(text, Refusal):
            return text.text
        chosen = await self._options.chosen(conversation, text)
        if chosen is not None:
            return InboundMessage(
                conversation_id=conversation, text=chosen.title, payload=chosen.payload
            )
        return InboundMessage(conversation_id=conversation, text=text)


def _join(parts: list[str]) -> str | None:
    return "\n\n".join(p for p in parts if p) or None
