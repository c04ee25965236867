"""The help desk's side of tickets (留言): left by users, taken, answered and closed by agents.

Every step the user should know of reaches them in the channel they left the ticket from, with
the ticket's number and status (queue_service/handoff/delivery.py), and every console hears that
the tickets changed (the 留言 badge is live). Leaving one keeps who the user was verified as at
that moment, since a portal login ends long before the ticket is answered.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from kernel.claims import Identity
from kernel.messages import OutboundMessage, Role
from kernel.skills import Skill
from queue_service.bus import Bus
from queue_service.handoff import texts
from queue_service.handoff.delivery import Delivery
from queue_service.handoff.tickets import (
    Ticket,
    TicketError,
    TicketReply,
    TicketStatus,
    TicketStore,
)
from queue_service.topics import CONSOLE_TOPIC

log = logging.getLogger(__name__)

# Who a conversation is verified as now (None: anonymous); the identity desk knows.
WhoIs = Callable[[str], Awaitable[Identity | None]]

class TicketGone(LookupError):
    """The ticket does not exist or is closed: nothing more can be done with it."""


class TicketDesk:
    def __init__(
        self, store: TicketStore, delivery: Delivery, bus: Bus, who_is: WhoIs
    ) -> None:
        self.store = store
        self._delivery = delivery
        self._bus = bus
        self._who_is = who_is

    async def leave(self, conversation_id: str, skill: Skill, text: str, contact: str) -> Ticket:
        """A user's ticket, with who they are verified as now; raises TicketError."""
        ticket = await self.store.create(
            conversation_id, skill, text, contact, await self._who(conversation_id)
        )
        await self._changed()
        return ticket

    async def assign(self, ticket_id: int, assignee: str, assignee_name: str) -> Ticket:
        """Give the ticket to an agent; the user hears it is being handled when it was open."""
        before = await self.store.get(ticket_id)
        ticket = await self.store.assign(ticket_id, assignee)
        if before is None or ticket is None:
            raise TicketGone(ticket_id)
        if before.status is TicketStatus.OPEN:
            text = texts.TICKET_TAKEN_TEXT.format(id=ticket_id, name=assignee_name)
            await self._tell(ticket, OutboundMessage(role=Role.SYSTEM, text=text))
        await self._changed()
        return ticket

    async def reply(
        self, ticket_id: int, author: str, author_name: str, text: str
    ) -> tuple[Ticket, TicketReply, bool]:
        """Answer the user in their channel; the ticket is then 已回复. Also whether the channel
        took the answer now (False: it waits for the user, e.g. WeChat's 48-hour window)."""
        cleaned = text.strip()
        if not cleaned:
            raise TicketError(texts.REPLY_EMPTY)
        if len(cleaned) > texts.MAX_TICKET_REPLY_CHARS:
            raise TicketError(texts.REPLY_TOO_LONG)
        answered = await self.store.reply(ticket_id, author, author_name, cleaned)
        if answered is None:
            raise TicketGone(ticket_id)
        ticket, reply = answered
        line = OutboundMessage(
            role=Role.AGENT,
            text=texts.TICKET_REPLY_TEXT.format(id=ticket_id, text=cleaned),
            agent=author,
            sender_name=author_name,
            # An answer to a message left, not a chat: the web chat names no serving agent.
            custom={"ticket": ticket_id},
        )
        sent = await self._tell(ticket, line)
        await self._changed()
        return ticket, reply, sent

    async def close(self, ticket_id: int, agent: str, note: str) -> Ticket:
        """Close with a note for the help desk (not shown to the user, who hears it is closed)."""
        ticket = await self.store.close(ticket_id, agent, note.strip())
        if ticket is None:
            raise TicketGone(ticket_id)
        text = texts.TICKET_CLOSED_TEXT.format(id=ticket_id)
        await self._tell(ticket, OutboundMessage(role=Role.SYSTEM, text=text))
        await self._changed()
        return ticket

    async def _tell(self, ticket: Ticket, line: OutboundMessage) -> bool:
        _, sent = await self._delivery.to_user(ticket.conversation_id, [line])
        return sent

    async def _who(self, conversation_id: str) -> Identity | None:
        try:
            return await self._who_is(conversation_id)
        except (RedisError, SQLAlchemyError) as exc:  # the ticket matters more than its label
            log.warning("identity not read for a ticket", extra={"error": type(exc).__name__})
            return None

    async def _changed(self) -> None:
        """Consoles reload their 留言 badge and list; a hint, so a failure is only logged."""
        try:
            await self._bus.publish(CONSOLE_TOPIC, {"type": "tickets"})
        except RedisError as exc:
            log.warning("tickets change not published", extra={"error": str(exc)})
