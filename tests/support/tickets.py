"""The ticket desk (queue_service/handoff/ticket_desk.py) as the service builds it, for tests
that need the handoff desk or tickets without the whole app."""

from redis.asyncio import Redis

from kernel.claims import Identity
from queue_service.bus import Bus
from queue_service.handoff.delivery import Delivery
from queue_service.handoff.queue import HandoffQueue
from queue_service.handoff.ticket_desk import TicketDesk, WhoIs
from queue_service.handoff.tickets import TicketStore
from queue_service.transcripts import TranscriptStore


async def anonymous(conversation_id: str) -> Identity | None:
    return None


def ticket_desk(
    store: TicketStore,
    redis_client: Redis,
    transcripts: TranscriptStore,
    who_is: WhoIs = anonymous,
) -> TicketDesk:
    bus = Bus(redis_client)
    return TicketDesk(store, Delivery(transcripts, bus, HandoffQueue(redis_client)), bus, who_is)
