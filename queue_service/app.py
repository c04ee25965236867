"""The composition root: builds the service's parts from the settings, the channels included,
and serves them (queue_service/services.py hands them to the routes as typed dependencies).

The only module of the service that imports the channels (pyproject.toml [tool.importlinter]).
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from integrations.telegram import routes as telegram
from integrations.telegram.service import TelegramChannel
from integrations.webchat import routes as webchat
from integrations.webchat.guard import ConnectionCap
from integrations.wechat import routes as wechat
from integrations.wechat.service import WeChatChannel
from kernel.claims import Identity
from kernel.logging_setup import configure_logging
from queue_service import health, metrics
from queue_service.admission import TurnGate
from queue_service.agents.accounts import AccountStore, RecentAccounts
from queue_service.agents.passwords import Passwords
from queue_service.agents.sessions import SessionStore
from queue_service.background import STOP_WAIT_S, Background
from queue_service.bus import Bus
from queue_service.console import pages as console
from queue_service.console.canned import CannedStore
from queue_service.console.login_guard import LoginGuard
from queue_service.console.notes import NoteStore
from queue_service.console.search import TranscriptSearch
from queue_service.db import create_engine, session_factory
from queue_service.handoff.caps import HandoffCaps
from queue_service.handoff.chats import ChatStore
from queue_service.handoff.delivery import Delivery
from queue_service.handoff.desk import HandoffDesk
from queue_service.handoff.hours import Timetable
from queue_service.handoff.queue import HandoffQueue
from queue_service.handoff.stats import DayStats
from queue_service.handoff.switchboard import Switchboard
from queue_service.handoff.ticket_desk import TicketDesk
from queue_service.handoff.tickets import TicketStore
from queue_service.handoff.watch import Watch
from queue_service.hub import Hub
from queue_service.identity import card_demo
from queue_service.identity import routes as portal
from queue_service.identity.bind_codes import BindCodes
from queue_service.identity.card_challenges import CardChallenges
from queue_service.identity.card_login import CardDesk
from queue_service.identity.cards import CardRegistry
from queue_service.identity.portal import PortalTokens
from queue_service.identity.routes import BindLinks
from queue_service.identity.service import Identities
from queue_service.identity.store import IdentityStore
from queue_service.images.store import ImageStore
from queue_service.images.upload import Images
from queue_service.outcomes import SessionJob, SessionRound
from queue_service.port import ChannelPort
from queue_service.publishing import model_route
from queue_service.publishing.publisher import PublishConfig, Publisher
from queue_service.publishing.store import PublicationStore
from queue_service.rasa_client import RasaClient
from queue_service.rasa_pool import RasaPool
from queue_service.reports.dialect import for_name
from queue_service.reports.queries import Reports
from queue_service.secret_policy import require_safe
from queue_service.services import Services
from queue_service.settings import Settings, get_settings
from queue_service.static_files import mount_shared
from queue_service.transcript_outbox import TranscriptOutbox
from queue_service.transcripts import TranscriptStore
from queue_service.turn_ledger import TurnLedger
from queue_service.warmup import Warmup
from studio import api as studio_api
from studio.entries import Entries
from studio.inbox import Inbox
from studio.seed import seed_at_start
from studio.store import KnowledgeStore


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Services]:
    """Every part built and started, then stopped and closed in reverse order."""
    engine = create_engine(settings.database_url, settings.sql_timeout_s)
    sessions = session_factory(engine)
    # Fail-fast bounds, through Sentinel when SWA_REDIS_SENTINELS is set (kernel/redis_connect.py).
    redis_client = settings.redis_client()
    background = Background()
    token = settings.rasa_token.get_secret_value()
    rasa = RasaPool(
        [RasaClient(url, token, settings.rasa_timeout_s) for url in settings.rasa_servers()]
    )
    queue = HandoffQueue(redis_client)
    tickets = TicketStore(sessions)
    accounts = AccountStore(
        sessions, Passwords(settings.password_hash_threads, settings.password_hash_queue)
    )
    bus = Bus(redis_client)
    await bus.start()
    chats = ChatStore(sessions)
    transcripts = TranscriptStore(sessions, settings.sql_timeout_s, pooled_appends=True)
    identity_store = IdentityStore(redis_client, sessions)

    async def who_is(conversation_id: str) -> Identity | None:
        verified = await identity_store.current(conversation_id)
        return verified.identity if verified else None

    delivery = Delivery(transcripts, bus, queue)
    ticket_desk = TicketDesk(tickets, delivery, bus, who_is)
    timetable = Timetable.from_settings(settings)
    desk = HandoffDesk(
        queue,
        ticket_desk,
        chats,
        timetable,
        caps=HandoffCaps(redis_client, settings),
        manual_skills=settings.manual_skill_set(),
    )
    switchboard = Switchboard(
        redis_client,
        bus,
        queue,
        chats,
        accounts,
        transcripts,
        settings.manual_skill_set(),
    )
    card_registry = CardRegistry(sessions)
    if settings.demo_mode:
        await card_demo.seed(card_registry)
    else:
        await card_demo.disable(card_registry)
    identities = Identities(
        identity_store,
        BindCodes(redis_client, settings.bind_failure_budget),
        PortalTokens.from_settings(settings),
        settings.identity_secret.get_secret_value(),
        settings.portal_login_url(),
        CardDesk(
            redis_client,
            identity_store,
            CardChallenges(redis_client),
            card_registry,
            bus,
            settings.card_status_check_s,
        ),
    )
    # The line's width: as many turns in flight as each Rasa server serves well, per server.
    gate = TurnGate(settings.rasa_concurrency * len(rasa.clients), settings.turn_max_wait_s)
    # A resent message waits for its first run at most as long as a turn can take; the claim
    # of an instance that died lapses within a few seconds.
    ledger = TurnLedger(
        redis_client, lease_s=6.0, wait_s=settings.turn_max_wait_s + settings.rasa_timeout_s
    )
    outbox = TranscriptOutbox(redis_client, transcripts)
    warmup = Warmup(rasa)
    hub = Hub(rasa, transcripts, queue, desk, switchboard, identities, gate, ledger, outbox)
    # What the channels are given instead of the hub and its parts (queue_service/port.py).
    images = Images(ImageStore(sessions), redis_client, settings)
    port = ChannelPort(hub, transcripts, identities, bus, queue, images)
    services = Services(
        settings,
        redis_client,
        rasa,
        bus,
        queue,
        tickets,
        ticket_desk,
        timetable,
        transcripts,
        switchboard,
        chats,
        NoteStore(sessions),
        DayStats(sessions, queue),
        accounts,
        RecentAccounts(accounts, settings.staff_account_check_s),
        SessionStore(redis_client, settings.staff_session_ttl_s, settings.staff_session_max_s),
        LoginGuard(redis_client),
        CannedStore(sessions),
        TranscriptSearch(sessions),
        identities,
        hub,
        port,
        ConnectionCap(settings.webchat_max_connections_per_ip),
        engine,
        background,
        outbox,
        warmup,
    )
    services.add(images)
    publications = PublicationStore(sessions)
    services.add(publications)
    publisher = Publisher(
        publications,
        redis_client,
        PublishConfig(
            settings.published_models_dir, settings.rasa_model_file, settings.publish_max_drop
        ),
    )
    services.add(publisher)
    services.add(Reports(sessions, for_name(engine.dialect.name)))
    knowledge = KnowledgeStore(engine)
    await seed_at_start(knowledge, background)
    entries = Entries(knowledge)
    services.add(entries)
    services.add(Inbox(engine, entries, rasa.parse))
    wechat = WeChatChannel.from_settings(settings, redis_client, port)
    if wechat is not None:
        services.add(wechat)
        delivery.register(wechat.name, wechat.deliver)
        wechat.start()
    telegram = TelegramChannel.from_settings(settings, redis_client, port)
    if telegram is not None:
        services.add(telegram)
        delivery.register(telegram.name, telegram.deliver)
        await telegram.start()
    services.add(BindLinks(telegram=telegram.deep_link if telegram is not None else None))
    watch = Watch(
        redis_client,
        queue,
        desk,
        switchboard,
        interval_s=settings.handoff_round_s,
        max_wait_s=settings.max_wait_s,
    )
    watching = background.start("handoff-round", watch.run)
    background.start("transcript-outbox", outbox.run)
    background.start("warm-up", warmup.run, once=True)
    background.start("rasa-watch", rasa.watch)
    job = SessionJob(sessions, redis_client, queue, settings.session_gap_s)
    outcome_round = SessionRound(job, redis_client, settings.session_round_s)
    services.add(job)
    background.start("session-round", outcome_round.run)
    background.start("knowledge-sync", publisher.keep_in_sync)
    try:
        yield services
    finally:
        outcome_round.stop()
        await publisher.aclose()
        watch.stop()  # a flag: the round ends after its current pass
        await asyncio.wait({watching}, timeout=STOP_WAIT_S)
        await background.stop()
        if wechat is not None:
            await wechat.aclose()
        if telegram is not None:
            await telegram.aclose()
        await switchboard.drain()
        await bus.stop()
        await rasa.aclose()
        await redis_client.aclose()
        await transcripts.close()
        await engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    require_safe(settings)
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(settings) as services:
            app.state.services = services
            yield

    app = FastAPI(
        title="单一窗口智能客服 Single Window Assistant",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(model_route.router)
    mount_shared(app)
    webchat.install(app)
    wechat.install(app)
    telegram.install(app)
    console.install(app)
    studio_api.install(app)
    portal.install(app, settings.demo_mode)
    return app
