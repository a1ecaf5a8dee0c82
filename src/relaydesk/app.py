"""``create_app(settings)``: the ASGI application; its lifespan starts engine, broker, workers."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import inspect, text

from relaydesk.config import Settings, get_settings
from relaydesk.db import make_engine, make_sessionmaker
from relaydesk.errors import install_error_handlers
from relaydesk.events import make_broker
from relaydesk.health import RequestMetrics
from relaydesk.limits import BodySizeLimit
from relaydesk.ratelimit import Limiter, Rule
from relaydesk.security import DEMO_SECRET_KEY, SecretBox

log = logging.getLogger("relaydesk")

#: routers, in the order their paths should match; a module not written yet is skipped
ROUTERS = [
    "relaydesk.health",
    "relaydesk.apps.api",
    "relaydesk.auth.api",
    "relaydesk.agents.api",
    "relaydesk.teams.api",
    "relaydesk.contacts.api",
    "relaydesk.routing.api",
    "relaydesk.conversations.api",
    "relaydesk.ai_agents.api",
    "relaydesk.webhooks.api",
    "relaydesk.uploads.api",
    "relaydesk.realtime.api",
    "relaydesk.widget.api",
    "relaydesk.web.api",
]

#: background services: modules with ``async def start(app) -> Callable[[], Awaitable[None]]``
WORKERS = ["relaydesk.ai_agents.worker", "relaydesk.webhooks.delivery"]


def _optional_module(name: str) -> object | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


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
    stops: list[Callable[[], Awaitable[None]]] = []
    if settings.workers:
        for name in WORKERS:
            module = _optional_module(name)
            if module is not None:
                stops.append(await module.start(app))  # type: ignore[attr-defined]
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
    secret_key = settings.secret_key
    if not secret_key:
        if not settings.demo:
            raise RuntimeError(
                "RELAYDESK_SECRET_KEY must be set (it encrypts stored secrets); "
                "`relaydesk demo` runs without one."
            )
        secret_key = DEMO_SECRET_KEY
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
    app.state.broker = make_broker(settings.redis_url)
    app.state.secret_box = SecretBox(secret_key)
    app.state.limiter = Limiter(
        {
            "login": Rule.parse(settings.rate_limit_login),
            "widget_session": Rule.parse(settings.rate_limit_widget_session),
            "contact": Rule.parse(settings.rate_limit_contact),
        },
        settings.redis_url,
    )
    install_error_handlers(app)

    for name in ROUTERS:
        module = _optional_module(name)
        if module is not None:
            app.include_router(module.router)  # type: ignore[attr-defined]
    app.add_middleware(
        BodySizeLimit, limit=settings.max_body_bytes, upload_limit=settings.upload_max_bytes
    )
    # the widget runs on customers' own sites; it authenticates with bearer tokens, never
    # cookies, so any origin may call the API without credentials
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_credentials=False,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=3600,
    )
    app.add_middleware(RequestMetrics)
    return app
