"""Typed FastAPI dependencies for the service's core parts (queue_service/services.py).

A route declares what it uses in its signature, `async def claim(queue: Queue, ...)`, and the
type checker and the reader both see it. The console's own stores (canned responses, search,
the login guard) declare theirs beside their routes.
"""

from typing import Annotated

from fastapi import Depends
from redis.asyncio import Redis

from queue_service.agents.accounts import AccountStore, RecentAccounts
from queue_service.agents.sessions import SessionStore
from queue_service.bus import Bus
from queue_service.handoff.queue import HandoffQueue
from queue_service.handoff.stats import DayStats
from queue_service.handoff.switchboard import Switchboard
from queue_service.handoff.tickets import TicketStore
from queue_service.identity.service import Identities
from queue_service.services import part
from queue_service.settings import Settings
from queue_service.transcripts import TranscriptStore

AppSettings = Annotated[Settings, Depends(part(Settings))]
RedisClient = Annotated[Redis, Depends(part(Redis))]
EventBus = Annotated[Bus, Depends(part(Bus))]
Queue = Annotated[HandoffQueue, Depends(part(HandoffQueue))]
Board = Annotated[Switchboard, Depends(part(Switchboard))]
Tickets = Annotated[TicketStore, Depends(part(TicketStore))]
Stats = Annotated[DayStats, Depends(part(DayStats))]
IdentitiesDep = Annotated[Identities, Depends(part(Identities))]
Accounts = Annotated[AccountStore, Depends(part(AccountStore))]
Recent = Annotated[RecentAccounts, Depends(part(RecentAccounts))]
StaffSessions = Annotated[SessionStore, Depends(part(SessionStore))]
Transcripts = Annotated[TranscriptStore, Depends(part(TranscriptStore))]
