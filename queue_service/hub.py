"""The hub: the one place that decides who answers a user's message.

A bind or unbind command ("绑定 12345678", "解除绑定") is answered by the identity desk before
anyone else. Then one read of the conversation's phase (queue_service/handoff/phases.py)
decides: a user with an agent is heard by that agent only; a user waiting for a person, leaving
a message for the help desk or rating a finished chat is answered by the handoff desk;
everyone else by the bot: the message goes to Rasa with the conversation id as sender (and a
verified user's identity, signed, in the metadata), and Rasa's replies go back to the channel.
The Rasa conversation is never paused: while the phase is not BOT, Rasa is simply not asked.
A reply carrying the handoff payload is not shown: the desk takes over from there. Every line,
the user's included, lands in the transcript before the channel sees the answer, so a page
reloaded right after a reply finds it in the history, and nothing said is lost if the channel
drops.
"""

import asyncio
import logging

from redis.exceptions import RedisError

from kernel import menu, payloads
from kernel.messages import InboundMessage, OutboundMessage, Role, StoredMessage
from kernel.signing import METADATA_KEY, SIGNATURE_KEY
from kernel.skills import Skill
from queue_service.handoff import texts
from queue_service.handoff.desk import HandoffDesk, ends_chat
from queue_service.handoff.phases import Conversation, Phase, Phases
from queue_service.handoff.switchboard import Switchboard
from queue_service.identity.service import Identities
from queue_service.rasa_client import RasaClient, RasaUnavailable
from queue_service.transcripts import TranscriptStore

log = logging.getLogger(__name__)




def bot_unavailable() -> OutboundMessage:
    return OutboundMessage(
        role=Role.SYSTEM,
        text=texts.BOT_UNAVAILABLE_TEXT,
        buttons=[menu.HANDOFF],
    )


def handoff_skill(reply: OutboundMessage) -> Skill | None:
    request = (reply.custom or {}).get(payloads.HANDOFF_KEY)
    if not isinstance(request, dict):
        return None
    try:
        return Skill(request.get("skill"))
    except ValueError:
        return Skill.OTHER


class Hub:
    def __init__(
        self,
        rasa: RasaClient,
        transcripts: TranscriptStore,
        phases: Phases,
        desk: HandoffDesk,
        switchboard: Switchboard,
        identities: Identities | None = None,
    ) -> None:
        self._rasa = rasa
        self._transcripts = transcripts
        self._phases = phases
        self._desk = desk
        self._switchboard = switchboard
        self._identities = identities

    async def handle(self, inbound: InboundMessage) -> list[StoredMessage]:
        user_line = OutboundMessage(role=Role.USER, text=inbound.text or None, image=inbound.image)
        if self._identities is not None:
            command = await self._identities.command(inbound)
            if command is not None:
                user_line.text = command.user_text  # a bind code is not kept
                await self._transcripts.append(inbound.conversation_id, [user_line])
                return await self._transcripts.append(inbound.conversation_id, command.replies)
        conversation, from_desk = await self._ask_desk(inbound)
        if conversation is not None and conversation.phase is Phase.WITH_AGENT:
            if ends_chat(inbound):
                ending = await self._switchboard.end_by_user(conversation)
                await self._transcripts.append(inbound.conversation_id, [user_line])
                return await self._transcripts.append(inbound.conversation_id, ending)
            # Said to the agent: nobody else answers; the agent's reply arrives on the bus.
            user_line.agent = conversation.agent
            [line] = await self._transcripts.append(inbound.conversation_id, [user_line])
            await self._switchboard.from_user(conversation.agent, line)
            return []
        if from_desk is not None:
            await self._transcripts.append(inbound.conversation_id, [user_line])
            return await self._transcripts.append(inbound.conversation_id, from_desk)
        # The user's line is written while Rasa thinks: only the replies' write adds to the turn.
        _, replies = await asyncio.gather(
            self._transcripts.append(inbound.conversation_id, [user_line]),
            self._ask_bot(inbound),
        )
        replies = await self._hand_over(inbound, replies)
        return await self._transcripts.append(inbound.conversation_id, replies)

    async def _ask_desk(
        self, inbound: InboundMessage
    ) -> tuple[Conversation | None, list[OutboundMessage] | None]:
        """The conversation as read once for this message, and the desk's answer to it (None:
        the bot's to answer). A user with an agent is not the desk's to answer."""
        try:
            conversation = await self._phases.read(inbound.conversation_id)
            if conversation.phase is Phase.WITH_AGENT:
                return conversation, None
            return conversation, await self._desk.handle(inbound, conversation)
        except RedisError as exc:
            # Without Redis nobody can be queued, but the bot can still answer.
            log.warning("handoff state unavailable", extra={"error": str(exc)})
            return None, None

    async def _hand_over(
        self, inbound: InboundMessage, replies: list[OutboundMessage]
    ) -> list[OutboundMessage]:
        """The bot's replies, with a handoff request replaced by what the desk tells the user."""
        for index, reply in enumerate(replies):
            skill = handoff_skill(reply)
            if skill is not None:
                try:
                    handed = await self._desk.request(
                        inbound.conversation_id, skill, inbound.client
                    )
                    self._switchboard.dispatch_soon(skill)
                except RedisError as exc:
                    log.warning("handoff unavailable", extra={"error": str(exc)})
                    unavailable = texts.HANDOFF_UNAVAILABLE_TEXT
                    handed = [OutboundMessage(role=Role.SYSTEM, text=unavailable)]
                return replies[:index] + handed + replies[index + 1 :]
        return replies

    async def typing(self, conversation_id: str, on: bool) -> None:
        """The user is typing: their agent sees it; a hint, so a failure is only logged."""
        try:
            await self._switchboard.user_typing(conversation_id, on)
        except RedisError as exc:
            log.warning("typing notice lost", extra={"error": str(exc)})

    async def start(self, conversation_id: str) -> list[StoredMessage]:
        """First contact: the bot's greeting and menu, without a user line in the transcript.

        Channels call this when a user opens a new conversation (web chat's first open, a
        WeChat subscribe), so the user sees what the assistant can do before typing anything.
        """
        greet = InboundMessage(
            conversation_id=conversation_id, text=payloads.GREET, payload=payloads.GREET
        )
        replies = await self._ask_bot(greet)
        return await self._transcripts.append(conversation_id, replies)

    async def _ask_bot(self, inbound: InboundMessage) -> list[OutboundMessage]:
        # No metadata unless there is something to say: the channel is the sender id's prefix,
        # and Rasa 3.6 spends ~30 ms more per turn on a message that carries any metadata.
        # A verified user's identity is something to say: the actions need it, signed.
        # Only the hub vouches for identities: a channel's metadata never carries one through.
        metadata = {
            k: v for k, v in inbound.metadata.items() if k not in (METADATA_KEY, SIGNATURE_KEY)
        }
        if self._identities is not None:
            metadata.update(await self._identities.metadata(inbound.conversation_id) or {})
        try:
            return await self._rasa.send(inbound.conversation_id, inbound.for_bot, metadata or None)
        except RasaUnavailable as exc:
            log.warning(
                "rasa unavailable",
                extra={"conversation_id": inbound.conversation_id, "error": str(exc)},
            )
            if inbound.for_bot == payloads.HANDOFF:
                # The bot is down and the user asked for a person: hand over without it.
                request = {"skill": Skill.OTHER.value}
                return [OutboundMessage(custom={payloads.HANDOFF_KEY: request})]
            return [bot_unavailable()]
