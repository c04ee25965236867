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

Faults and overload (issue 16, docs/reliability.md): bot turns wait in line for Rasa
(queue_service/admission.py); a message with the page's id is answered once however often it
is sent (queue_service/turn_ledger.py); lines the database cannot take now wait in the
transcript outbox (queue_service/transcript_outbox.py); and when the conversation's phase
cannot be read (Redis down or hanging) nobody is asked, since the message may be meant for an
agent: the user is told it was not delivered.
"""

import asyncio
import contextlib
import logging

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from kernel import menu, payloads
from kernel.messages import InboundMessage, OutboundMessage, Role, StoredMessage
from kernel.signing import METADATA_KEY, SIGNATURE_KEY
from kernel.skills import Skill
from queue_service.admission import Notice, TurnGate, TurnRefused
from queue_service.handoff import texts
from queue_service.handoff.desk import HandoffDesk, ends_chat
from queue_service.handoff.phases import Conversation, Phase, Phases
from queue_service.handoff.switchboard import Switchboard
from queue_service.identity.service import Identities
from queue_service.rasa_client import RasaClient, RasaUnavailable
from queue_service.rasa_pool import RasaPool
from queue_service.transcript_outbox import TranscriptOutbox
from queue_service.transcripts import TranscriptStore
from queue_service.turn_ledger import Answered, StillRunning, TurnLedger

log = logging.getLogger(__name__)


def bot_unavailable() -> OutboundMessage:
    return OutboundMessage(
        role=Role.SYSTEM,
        text=texts.BOT_UNAVAILABLE_TEXT,
        buttons=[menu.HANDOFF],
    )


def not_delivered() -> OutboundMessage:
    return OutboundMessage(role=Role.SYSTEM, text=texts.NOT_DELIVERED_TEXT)


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
        rasa: RasaClient | RasaPool,
        transcripts: TranscriptStore,
        phases: Phases,
        desk: HandoffDesk,
        switchboard: Switchboard,
        identities: Identities | None = None,
        gate: TurnGate | None = None,
        ledger: TurnLedger | None = None,
        outbox: TranscriptOutbox | None = None,
    ) -> None:
        self._rasa = rasa
        self._transcripts = transcripts
        self._phases = phases
        self._desk = desk
        self._switchboard = switchboard
        self._identities = identities
        # Turns in flight to Rasa, the rest queued in order (queue_service/admission.py).
        self._gate = gate or TurnGate(capacity=8, max_wait_s=30.0)
        # Messages sent again with the same id are answered once (queue_service/turn_ledger.py).
        self._ledger = ledger
        self._outbox = outbox

    async def handle(
        self, inbound: InboundMessage, on_wait: Notice | None = None
    ) -> list[StoredMessage]:
        """The answer to the user's message; `on_wait` is called once if the bot's turn has to
        wait for a place in the queue in front of Rasa (the channel shows that it is coming).
        A message with an id already answered gets that answer again, and no new turn."""
        message_id, conversation_id = inbound.message_id, inbound.conversation_id
        if message_id is None or self._ledger is None:
            return await self._handle(inbound, on_wait)
        try:
            before = await self._ledger.claim(conversation_id, message_id)
        except RedisError:
            return await self._handle(inbound, on_wait)  # which tells the user, Redis being down
        except StillRunning:
            log.warning("message still running elsewhere", extra={"message_id": message_id})
            return await self._append(conversation_id, [not_delivered()])
        if isinstance(before, Answered):
            return before.lines
        said = before.said  # the user's line, if a run of this message died after writing it
        renewing = asyncio.create_task(self._keep_claim(conversation_id, message_id))
        try:
            answer = await self._handle(inbound, on_wait, said)
        except BaseException:
            with contextlib.suppress(RedisError):
                await self._ledger.release(conversation_id, message_id)
            raise
        finally:
            renewing.cancel()
        with contextlib.suppress(RedisError):  # at worst, a resend is answered twice
            await self._ledger.finish(conversation_id, message_id, answer)
        return answer

    async def _keep_claim(self, conversation_id: str, message_id: str) -> None:
        """Renew the message's claim while its turn runs (it may wait in line for a while)."""
        assert self._ledger is not None
        while True:
            await asyncio.sleep(self._ledger.lease_s / 3)
            with contextlib.suppress(RedisError):
                await self._ledger.renew(conversation_id, message_id)

    async def _handle(
        self, inbound: InboundMessage, on_wait: Notice | None, said: StoredMessage | None = None
    ) -> list[StoredMessage]:
        user_line = OutboundMessage(
            role=Role.USER,
            text=inbound.text or None,
            image=inbound.image,
            message_id=inbound.message_id,
        )
        if self._identities is not None:
            command = await self._identities.command(inbound)
            if command is not None:
                user_line.text = command.user_text  # a bind code is not kept
                await self._keep(inbound, user_line, said)
                return await self._append(inbound.conversation_id, command.replies)
        conversation, from_desk = await self._ask_desk(inbound)
        if conversation is None:
            # Whether an agent serves this user is unknown: asking the bot could answer a
            # message meant for a person, so nobody does, and the user is told to resend.
            await self._keep(inbound, user_line, said)
            return await self._append(inbound.conversation_id, [not_delivered()])
        if conversation.phase is Phase.WITH_AGENT:
            if ends_chat(inbound):
                ending = await self._switchboard.end_by_user(conversation)
                await self._keep(inbound, user_line, said)
                return await self._append(inbound.conversation_id, ending)
            # Said to the agent: nobody else answers; the agent's reply arrives on the bus.
            user_line.agent = conversation.agent
            line = await self._keep(inbound, user_line, said)
            await self._switchboard.from_user(conversation.agent, line)
            return []
        if from_desk is not None:
            await self._keep(inbound, user_line, said)
            return await self._append(inbound.conversation_id, from_desk)
        if said is not None:
            # Run again after a run that died: Rasa may have answered that run already.
            replies = await self._answer_given(inbound, said) or await self._ask_bot(
                inbound, on_wait
            )
        else:
            # The user's line is written while Rasa thinks: only the replies' write adds to
            # the turn.
            _, replies = await asyncio.gather(
                self._keep(inbound, user_line, said),
                self._ask_bot(inbound, on_wait),
            )
        replies = await self._hand_over(inbound, replies)
        return await self._append(inbound.conversation_id, replies)

    async def _keep(
        self, inbound: InboundMessage, user_line: OutboundMessage, said: StoredMessage | None
    ) -> StoredMessage:
        """The user's line, in the transcript once: a message run again (its first run died
        with its service instance) has the line that run wrote (`said`)."""
        if said is not None:
            return said
        conversation_id, message_id = inbound.conversation_id, inbound.message_id
        [line] = await self._append(conversation_id, [user_line])
        if self._ledger is not None and message_id is not None:
            with contextlib.suppress(RedisError):
                await self._ledger.note_said(conversation_id, message_id, line)
        return line

    async def _answer_given(
        self, inbound: InboundMessage, said: StoredMessage
    ) -> list[OutboundMessage] | None:
        """What Rasa answered this message in a run that died before it was shown, so that
        Rasa processes each message once; None when it has no such answer."""
        try:
            return await self._rasa.answered_since(
                inbound.conversation_id, inbound.for_bot, said.created_at.timestamp() - 5
            )
        except RasaUnavailable:
            return None

    async def _append(
        self, conversation_id: str, lines: list[OutboundMessage]
    ) -> list[StoredMessage]:
        """The lines in the transcript, or, while the database fails, in the outbox that
        writes them once it answers again (queue_service/transcript_outbox.py)."""
        if self._outbox is not None and self._outbox.deferring:
            return await self._outbox.put(conversation_id, lines)  # after those waiting
        try:
            return await self._transcripts.append(conversation_id, lines)
        except SQLAlchemyError:
            if self._outbox is None:
                raise
            return await self._outbox.put(conversation_id, lines)

    async def _ask_desk(
        self, inbound: InboundMessage
    ) -> tuple[Conversation | None, list[OutboundMessage] | None]:
        """The conversation as read once for this message (None: unreadable), and the desk's
        answer to it (None: the bot's to answer). A user with an agent is not the desk's to
        answer."""
        try:
            conversation = await self._phases.read(inbound.conversation_id)
            if conversation.phase is Phase.WITH_AGENT:
                return conversation, None
            return conversation, await self._desk.handle(inbound, conversation)
        except RedisError as exc:
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
        return await self._append(conversation_id, replies)

    async def _ask_bot(
        self, inbound: InboundMessage, on_wait: Notice | None = None
    ) -> list[OutboundMessage]:
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
            async with self._gate.turn(on_wait):
                replies = await self._rasa.send(
                    inbound.conversation_id, inbound.for_bot, metadata or None
                )
            if not replies:
                # Rasa answers 200 with nothing when its actions fail (the action server down):
                # silence would leave the user waiting for an answer that never comes.
                raise RasaUnavailable("an empty answer")
            return replies
        except TurnRefused:
            log.warning(
                "turn not admitted in time",
                extra={"conversation_id": inbound.conversation_id, "waiting": self._gate.waiting},
            )
            return [bot_unavailable()]
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
