"""The FastAPI application: wires settings, Redis, SQL, Rasa and the channels together."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as redis
from fastapi import FastAPI

from integrations.webchat import routes as webchat
from queue_service import health, metrics
from queue_service.db import create_engine, session_factory
from queue_service.handoff.desk import HandoffDesk
from queue_service.handoff.queue import HandoffQueue
from queue_service.handoff.tickets import TicketStore
from queue_service.hub import Hub
from queue_service.logging_setup import configure_logging
from queue_service.rasa_client import RasaClient
from queue_service.settings import Settings, get_settings
from queue_service.transcripts import TranscriptStore


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        app.state.settings = settings
        app.state.redis = redis.from_url(settings.redis_url, decode_responses=True)
        app.state.rasa = RasaClient(
            settings.rasa_url, settings.rasa_token.get_secret_value(), settings.rasa_timeout_s
        )
        sessions = session_factory(engine)
        app.state.queue = HandoffQueue(app.state.redis)
        app.state.tickets = TicketStore(sessions)
        desk = HandoffDesk(
            app.state.redis, app.state.queue, app.state.tickets, settings.timetable()
        )
        app.state.hub = Hub(app.state.rasa, TranscriptStore(sessions), desk)
        try:
            yield
        finally:
            await app.state.rasa.aclose()
            await app.state.redis.aclose()
            await engine.dispose()

    app = FastAPI(
        title="单一窗口智能客服 Single Window Assistant",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.include_router(health.router)
    app.include_router(metrics.router)
    webchat.install(app)
    return app
