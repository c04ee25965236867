"""The user's side of a handoff: waiting, cancelling, leaving a message, rating the chat.

The hub reads the conversation's phase (queue_service/handoff/phases.py) and asks the desk
about every message of a user who is not with an agent. A user who waits for an agent, leaves a
message for the help desk (留言) or rates a finished chat is answered here, and the bot is not
called; a user with the bot is answered here only for a desk button clicked late. When the bot
hands a user over, the desk queues them if agents are at work and online, and otherwise offers
to leave a message. The Rasa conversation is never paused: the bot is simply not asked while
the desk or an agent answers, and going back to the bot (cancelling, sending, declining or
abandoning the message, rating) needs no resume.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from dataclasses import replace

from sqlalchemy.exc import SQLAlchemyError

from kernel.clock import Clock, china_now
from kernel.messages import Button, InboundMessage, OutboundMessage, Role
from kernel.skills import SKILL_TITLES, Skill
from queue_service.handoff import texts
from queue_service.handoff.caps import HandoffCaps
from queue_service.handoff.chats import ChatStore
from queue_service.handoff.hours import Timetable, when_text
from queue_service.handoff.phases import Conversation, Phase
from queue_service.handoff.queue import HandoffQueue, estimate_wait_s
from queue_service.handoff.ticket_desk import TicketDesk
from queue_service.handoff.tickets import TicketError, valid_contact, valid_text

CANCEL = Button(title=texts.CANCEL_TITLE, payload="/cancel_queue")
LEAVE_MESSAGE = Button(title=texts.LEAVE_MESSAGE_TITLE, payload="/leave_message")
BACK_TO_BOT = Button(title=texts.BACK_TO_BOT_TITLE, payload="/back_to_bot")
# Offered by the web chat page while an agent serves the user; typed words work in every channel.
END_CHAT = Button(title=texts.END_CHAT_TITLE, payload="/end_chat")

RATING_BUTTONS = [
    Button(title=f"{score} {title}", payload=f"/csat_{score}")
    for score, title in texts.RATINGS.items()
]
_RATING_TYPED = re.compile(r"^\s*([1-5])\s*(分)?\s*$")

log = logging.getLogger(__name__)


def _system(text: str, *buttons: Button) -> OutboundMessage:
    return OutboundMessage(role=Role.SYSTEM, text=text, buttons=list(buttons))


def _chose(inbound: InboundMessage, button: Button) -> bool:
    """A click on the button, or its title typed by hand (WeChat users type 取消排队)."""
    return inbound.payload == button.payload or inbound.text.strip() == button.title


def _rating(inbound: InboundMessage) -> int | None:
    """The score of a rating button, its title, or a bare digit typed (WeChat users do)."""
    for button, score in zip(RATING_BUTTONS, texts.RATINGS, strict=True):
        if _chose(inbound, button):
            return score
    typed = _RATING_TYPED.match(inbound.text)
    return int(typed.group(1)) if typed else None


def _bare_contact(inbound: InboundMessage) -> bool:
    """Whether a typed message is nothing but a phone number or e-mail address (issue 17)."""
    if inbound.payload:
        return False
    try:
        valid_contact(inbound.text)
    except TicketError:
        return False
    return True


def _message_offer(reason: str) -> list[OutboundMessage]:
    """The offer to leave a message instead of waiting, after `reason` (a full sentence)."""
    return [_system(f"{reason}{texts.OFFER_TEXT}", LEAVE_MESSAGE, BACK_TO_BOT)]


def ends_chat(inbound: InboundMessage) -> bool:
    """The user, with an agent, asks to end the chat (the button, or its words typed)."""
    return _chose(inbound, END_CHAT) or inbound.text.strip() in texts.END_CHAT_WORDS


def rating_prompt() -> list[OutboundMessage]:
    """What a user is asked when their agent closed the chat."""
    return [_system(texts.RATE_TEXT, *RATING_BUTTONS)]


class HandoffDesk:
    def __init__(
        self,
        queue: HandoffQueue,
        tickets: TicketDesk,
        chats: ChatStore,
        timetable: Timetable,
        caps: HandoffCaps,
        clock: Clock = china_now,
        manual_skills: Iterable[Skill] = (),
    ) -> None:
        self._queue = queue
        self._tickets = tickets
        self._chats = chats
        self._timetable = timetable
        self._clock = clock
        self._caps = caps
        # Skills whose users agents pick by hand: nobody is connected at once there.
        self._manual_skills = frozenset(manual_skills)

    async def request(
        self, conversation_id: str, skill: Skill, client: str | None = None
    ) -> list[OutboundMessage]:
        """The bot handed this user over: queue them, or offer to leave a message.

        `client` is the sender's address where the channel knows it: handoffs are capped per
        conversation and per address (queue_service/handoff/caps.py)."""
        now = self._clock()
        if not self._timetable.is_open(now):
            opening = self._timetable.next_opening(now)
            when = texts.NEXT_OPENING_TEXT.format(when=when_text(opening)) if opening else ""
            reason = texts.OUTSIDE_HOURS_TEXT.format(next_opening=when)
            return await self._offer(conversation_id, skill, reason)
        capacity, free = await self._queue.online_slots(skill)
        if capacity == 0:
            return await self._offer(conversation_id, skill, texts.NO_AGENT_TEXT)
        if not await self._caps.handoffs.hit(conversation_id, client):
            return [_system(texts.TOO_MANY_HANDOFFS_TEXT)]
        position = await self._queue.enqueue(conversation_id, skill)
        if position is None:
            return [_system(texts.WITH_AGENT_TEXT)]
        if position <= free and skill not in self._manual_skills:
            # A free agent takes the user right after this answer: no wait to estimate.
            return [_system(texts.CONNECTING_TEXT.format(skill=SKILL_TITLES[skill]), CANCEL)]
        wait_s = estimate_wait_s(position, capacity, await self._queue.average_handle_s())
        wait = texts.WAIT_TEXT.format(minutes=max(1, math.ceil(wait_s / 60))) if wait_s else ""
        text = texts.QUEUED_TEXT.format(skill=SKILL_TITLES[skill], ahead=position - 1, wait=wait)
        return [_system(text, CANCEL)]

    async def _offer(
        self, conversation_id: str, skill: Skill, reason: str
    ) -> list[OutboundMessage]:
        """Offer to leave a message instead of waiting, after `reason` (a full sentence)."""
        # Refused only for a user who was queued or served meanwhile (another page of theirs):
        # they see the offer as before, and their next message finds them where they are.
        await self._queue.offer(conversation_id, skill)
        return _message_offer(reason)

    async def time_out(self, conversation_id: str) -> list[OutboundMessage] | None:
        """A user waited too long: out of the queue and offered to leave a message; None if
        they no longer wait."""
        if not await self._queue.time_out(conversation_id):
            return None
        return _message_offer(texts.MAX_WAIT_TEXT)

    async def handle(
        self, inbound: InboundMessage, conversation: Conversation
    ) -> list[OutboundMessage] | None:
        """The desk's answer to a message in the conversation's phase (read by the hub); None
        when the bot answers. A user with an agent is the agent's to answer, never the desk's."""
        match conversation.phase:
            case Phase.WITH_AGENT:
                raise ValueError("a user with an agent is answered by the agent")
            case Phase.BOT:
                return await self._stale_button(inbound)
            case Phase.QUEUED:
                return await self._waiting(inbound)
            case _ if _chose(inbound, BACK_TO_BOT):
                # At the desk (a message, a rating) the user may go back to the bot any time.
                await self._queue.back_to_bot(inbound.conversation_id)
                return [_system(texts.BACK_TEXT)]
            case Phase.MESSAGE_OFFERED:
                return await self._offered(inbound, conversation)
            case Phase.MESSAGE_TEXT | Phase.MESSAGE_CONTACT:
                return await self._message(inbound, conversation)
            case Phase.RATING:
                return await self._rate(inbound, conversation)
            case Phase.COMMENT:
                return await self._comment(inbound, conversation)

    async def _waiting(self, inbound: InboundMessage) -> list[OutboundMessage]:
        conversation_id = inbound.conversation_id
        if _chose(inbound, CANCEL):
            # Refused only for a user just served: their agent's greeting is on its way.
            await self._queue.cancel(conversation_id)
            return [_system(texts.CANCELLED_TEXT)]
        position = await self._queue.position(conversation_id)
        if position is not None:
            await self._queue.tell_position(conversation_id, position)
        return [_system(texts.STILL_QUEUED_TEXT.format(position=position), CANCEL)]

    async def _offered(
        self, inbound: InboundMessage, conversation: Conversation
    ) -> list[OutboundMessage] | None:
        if _chose(inbound, LEAVE_MESSAGE):
            return await self._ask_text(inbound, conversation.skill)
        if _bare_contact(inbound) and await self._queue.write(
            inbound.conversation_id, conversation.skill or Skill.OTHER
        ):
            # The offer says "we will contact you": a number typed now answers it; it is the
            # message's contact, never a question for the bot.
            return await self._message(inbound, replace(conversation, phase=Phase.MESSAGE_TEXT))
        # Anything else is a new question for the bot.
        await self._queue.back_to_bot(inbound.conversation_id)
        return None

    async def _message(
        self, inbound: InboundMessage, conversation: Conversation
    ) -> list[OutboundMessage]:
        """A step of leaving a message: its text, then the contact that sends it."""
        conversation_id = inbound.conversation_id
        text = conversation.text
        try:
            if conversation.phase is Phase.MESSAGE_TEXT:
                if not _bare_contact(inbound):
                    await self._queue.give_text(conversation_id, valid_text(inbound.text))
                    return [_system(texts.ASK_CONTACT_TEXT, BACK_TO_BOT)]
                # Only a phone number or e-mail where the text was asked: that is the contact
                # (issue 17), and the help desk calls back to hear the problem.
                text = texts.CONTACT_ONLY_TICKET_TEXT
            valid_contact(inbound.text)  # checked first: a typo must not use up a ticket
            if not await self._caps.tickets.hit(conversation_id, inbound.client):
                await self._queue.back_to_bot(conversation_id)
                return [_system(texts.TOO_MANY_TICKETS_TEXT)]
            ticket = await self._tickets.leave(
                conversation_id, conversation.skill, text or "", inbound.text
            )
        except TicketError as exc:
            return [_system(str(exc), BACK_TO_BOT)]
        except SQLAlchemyError as exc:
            # The phase is kept: sending the contact again retries without retyping the text.
            # Only the error's type is logged: its message quotes the contact and the text.
            log.warning(
                "ticket not stored",
                extra={"conversation_id": conversation_id, "error": type(exc).__name__},
            )
            return [_system(texts.TICKET_FAILED_TEXT, BACK_TO_BOT)]
        await self._queue.back_to_bot(conversation_id)
        return [_system(texts.TICKET_TEXT.format(id=ticket.id))]

    async def _rate(
        self, inbound: InboundMessage, conversation: Conversation
    ) -> list[OutboundMessage] | None:
        score = _rating(inbound)
        if score is None:
            # Not a rating: a question for the bot; the rating is skipped.
            await self._queue.back_to_bot(inbound.conversation_id)
            return None
        await self._chats.rate(conversation.chat_id, score)
        await self._queue.rate(inbound.conversation_id)
        return [_system(texts.RATED_TEXT, BACK_TO_BOT)]

    async def _comment(
        self, inbound: InboundMessage, conversation: Conversation
    ) -> list[OutboundMessage] | None:
        await self._queue.back_to_bot(inbound.conversation_id)
        if inbound.payload and inbound.payload.startswith("/"):
            return None  # a bot button from before: meant for the bot
        await self._chats.comment(conversation.chat_id, inbound.text)
        return [_system(texts.COMMENTED_TEXT)]

    async def _stale_button(self, inbound: InboundMessage) -> list[OutboundMessage] | None:
        """A desk button clicked after its moment (the chat keeps old buttons): still meant."""
        if _chose(inbound, LEAVE_MESSAGE):
            return await self._ask_text(inbound, Skill.OTHER)
        if _chose(inbound, CANCEL):
            return [_system(texts.NOT_QUEUED_TEXT)]
        if _chose(inbound, BACK_TO_BOT):
            return [_system(texts.BACK_TEXT)]
        return None

    async def _ask_text(self, inbound: InboundMessage, skill: Skill) -> list[OutboundMessage]:
        """Leaving a message starts with its text, unless no more tickets are allowed today:
        said now, before the user writes it. (Counted when the ticket is created.)"""
        if await self._caps.tickets.exceeded(inbound.conversation_id, inbound.client):
            await self._queue.back_to_bot(inbound.conversation_id)
            return [_system(texts.TOO_MANY_TICKETS_TEXT)]
        await self._queue.write(inbound.conversation_id, skill)
        return [_system(texts.ASK_TEXT_TEXT, BACK_TO_BOT)]
