"""``create_app(settings)``: the ASGI application; its lifespan starts engine, broker, workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import FastAPI
from sqlalchemy import inspect, text

from relaydesk import clock, health, outbound
from relaydesk.agents import api as agents_api
from relaydesk.ai_agents import api as ai_agents_api
from relaydesk.ai_agents import worker as turn_worker
from relaydesk.apps import api as apps_api
from relaydesk.audit import api as audit_api
from relaydesk.auth import api as auth_api
from relaydesk.auth.cache import PrincipalCache
from relaydesk.browser import BrowserPolicy
from relaydesk.config import Settings, get_settings
from relaydesk.contacts import api as contacts_api
from relaydesk.conversations import api as conversations_api
from relaydesk.conversations import idle as idle_sweeper
from relaydesk.db import make_engine, make_sessionmaker
from relaydesk.errors import install_error_handlers
from relaydesk.events import make_broker
from relaydesk.health import RequestMetrics
from relaydesk.knowledge import api as knowledge_api
from relaydesk.limits import BodySizeLimit, RefuseNul
from relaydesk.openapi import document_errors
from relaydesk.ratelimit import Limiter, Rule
from relaydesk.ratings import api as ratings_api
from relaydesk.realtime import api as realtime_api
from relaydesk.routing import api as routing_api
from relaydesk.routing import opening as opening_sweeper
from relaydesk.security import SecretBox
from relaydesk.teams import api as teams_api
from relaydesk.uploads import api as uploads_api
from relaydesk.uploads import cleanup as upload_cleanup
from relaydesk.web import api as web_api
from relaydesk.webhooks import api as webhooks_api
from relaydesk.webhooks import delivery as webhook_delivery
from relaydesk.widget import api as widget_api

log = logging.getLogger("relaydesk")

#: routers, in the order their paths should match
ROUTERS = [
    health.router,
    apps_api.router,
    auth_api.router,
    agents_api.router,
    teams_api.router,
    contacts_api.router,
    routing_api.router,
    conversations_api.router,
    ratings_api.router,
    ai_agents_api.router,
    knowledge_api.router,
    webhooks_api.router,
    audit_api.router,
    uploads_api.router,
    realtime_api.router,
    widget_api.router,
    web_api.router,
]

#: background services: ``async def start(app) -> stop coroutine function``
WORKERS = [
    turn_worker.start,
    webhook_delivery.start,
    upload_cleanup.start,
    idle_sweeper.start,
    opening_sweeper.start,
]


async def _schema_revision(app: FastAPI) -> str | None:
    """The database's migration revision; None for an empty database."""
    async with app.state.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        if "alembic_version" not in tables:
            return None
        return await conn.scalar(text("SELECT version_num FROM alembic_version"))


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    from relaydesk.migrate import head, upgrade

    revision = await _schema_revision(app)
    if revision is None:
        log.info("empty database: creating the schema")
        await asyncio.to_thread(upgrade, settings.database_url)
    elif revision != head():
        raise RuntimeError(
            f"the database schema is at revision {revision}, this relaydesk needs {head()}: "
            "run `relaydesk db upgrade` first"
        )
    await app.state.broker.connect()
    await app.state.principal_cache.start()
    stops: list[Callable[[], Awaitable[None]]] = [app.state.principal_cache.stop]
    if settings.workers:
        for start in WORKERS:
            stops.append(await start(app))
    try:
        yield
    finally:
        for stop in reversed(stops):
            with contextlib.suppress(Exception):
                await stop()
        await app.state.broker.disconnect()
        await app.state.limiter.counter.aclose()
        await app.state.engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The relaydesk ASGI app for these settings."""
    settings = settings or get_settings()
    if not settings.secret_key and not settings.demo:
        raise RuntimeError(
            "RELAYDESK_SECRET_KEY must be set (it encrypts stored secrets); "
            "`relaydesk demo` runs without one."
        )
    app = FastAPI(
        title="relaydesk",
        version="0.1.0",
        summary="Customer-support conversations routed to AI agents and humans.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = make_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.read_sessionmaker = make_sessionmaker(app.state.engine, readonly=True)
    outbound.configure(settings.outbound_allow_hosts)
    clock.configure(settings.test_clock_offset_s)
    app.state.broker = make_broker(settings.redis_url)
    app.state.principal_cache = PrincipalCache(app.state.broker, settings.auth_cache_s)
    app.state.secret_box = SecretBox.from_settings(settings)
    app.state.limiter = Limiter(
        {
            "login": Rule.parse(settings.rate_limit_login),
            "login_address": Rule.parse(settings.rate_limit_login_address),
            "widget_session": Rule.parse(settings.rate_limit_widget_session),
            "contact": Rule.parse(settings.rate_limit_contact),
            "contact_upload": Rule.parse(settings.rate_limit_contact_upload),
        },
        settings.redis_url,
    )
    install_error_handlers(app)

    for router in ROUTERS:
        app.include_router(document_errors(router))
    app.add_middleware(
        BodySizeLimit,
        limit=settings.max_body_bytes,
        upload_limit=settings.upload_max_bytes,
        timeout_s=settings.request_body_timeout_s,
    )
    app.add_middleware(RefuseNul)
    # CORS by app (the widget runs on customers' sites; bearer tokens, never cookies) and
    # the headers every answer carries: see browser.py
    app.add_middleware(BrowserPolicy)
    app.add_middleware(RequestMetrics)
    return app
