"""The hub: the one place that decides who answers a user's message.

In this version every conversation is in bot mode: the message goes to Rasa with the
conversation id as sender, and Rasa's replies go back to the channel. Every line, the user's
included, lands in the transcript before the channel sees the answer, so a page reloaded right
after a reply finds it in the history, and nothing said is lost if the channel drops.
"""

import asyncio
import logging

from queue_service.messages import Button, InboundMessage, OutboundMessage, Role, StoredMessage
from queue_service.rasa_client import RasaClient, RasaUnavailable
from queue_service.transcripts import TranscriptStore

log = logging.getLogger(__name__)

BOT_UNAVAILABLE_TEXT = (
    "非常抱歉，智能客服暂时无法应答。您可以稍后再试，或转接人工客服，也可拨打全国统一热线 95198。"
)


# What a channel's "conversation opened" means to the bot: a greeting, exactly as if typed.
START = "/greet"
# The bot's own 转人工 buttons carry this payload too, so every channel sends one thing.
HANDOFF_PAYLOAD = "/handoff"


def bot_unavailable() -> OutboundMessage:
    return OutboundMessage(
        role=Role.SYSTEM,
        text=BOT_UNAVAILABLE_TEXT,
        buttons=[Button(title="转人工", payload=HANDOFF_PAYLOAD)],
    )


class Hub:
    def __init__(self, rasa: RasaClient, transcripts: TranscriptStore) -> None:
        self._rasa = rasa
        self.transcripts = transcripts

    async def handle(self, inbound: InboundMessage) -> list[StoredMessage]:
        # The user's line is written while Rasa thinks: only the replies' write adds to the turn.
        user_line = OutboundMessage(role=Role.USER, text=inbound.text)
        _, replies = await asyncio.gather(
            self.transcripts.append(inbound.conversation_id, [user_line]),
            self._ask_bot(inbound),
        )
        return await self.transcripts.append(inbound.conversation_id, replies)

    async def start(self, conversation_id: str) -> list[StoredMessage]:
        """First contact: the bot's greeting and menu, without a user line in the transcript.

        Channels call this when a user opens a new conversation (web chat's first open, a
        WeChat subscribe), so the user sees what the assistant can do before typing anything.
        """
        replies = await self._ask_bot(InboundMessage(conversation_id=conversation_id, text=START))
        return await self.transcripts.append(conversation_id, replies)

    async def _ask_bot(self, inbound: InboundMessage) -> list[OutboundMessage]:
        # No metadata unless there is something to say: the channel is the sender id's prefix,
        # and Rasa 3.6 spends ~30 ms more per turn on a message that carries any metadata.
        try:
            return await self._rasa.send(
                inbound.conversation_id, inbound.for_bot, inbound.metadata or None
            )
        except RasaUnavailable as exc:
            log.warning(
                "rasa unavailable",
                extra={"conversation_id": inbound.conversation_id, "error": str(exc)},
            )
            return [bot_unavailable()]
