"""The auto-resolve sweeper: every worker process looks, every ``auto_resolve_poll_s``, for
open conversations of apps with ``auto_resolve`` set that were answered and then went
quiet, and resolves each through :func:`relaydesk.actions.conversations.auto_resolve`
(which rechecks under the locks, so processes sweeping together resolve each once)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from relaydesk.actions import conversations as actions
from relaydesk.config import Settings
from relaydesk.conversations import service
from relaydesk.events import Broker
from relaydesk.routing.models import RoutingSettings

log = logging.getLogger(__name__)
BATCH = 100


async def sweep_once(
    maker: async_sessionmaker[AsyncSession],
    read_maker: async_sessionmaker[AsyncSession],
    broker: Broker,
) -> int:
    """Resolve what is due in every app that asks for it; how many were resolved."""
    async with read_maker() as session:  # looking takes no write lock (SQLite)
        apps = (
            await session.execute(
                select(RoutingSettings.app_id, RoutingSettings.auto_resolve).where(
                    RoutingSettings.auto_resolve.is_not(None)
                )
            )
        ).all()
        due = [
            (app_id, conversation_id)
            for app_id, rule in apps
            for conversation_id in await service.idle_candidates(
                session, app_id=app_id, idle_seconds=int(rule["idle_seconds"]), limit=BATCH
            )
        ]
    resolved = 0
    for app_id, conversation_id in due:
        async with maker() as session:
            if await actions.auto_resolve(
                session, broker, app_id=app_id, conversation_id=conversation_id
            ):
                resolved += 1
    return resolved


async def run(
    maker: async_sessionmaker[AsyncSession],
    read_maker: async_sessionmaker[AsyncSession],
    broker: Broker,
    poll_s: float,
) -> None:
    while True:
        try:
            await sweep_once(maker, read_maker, broker)
        except Exception:  # the database may be away: try again next round
            log.warning("auto-resolve sweep failed; retrying in %s s", poll_s)
        await asyncio.sleep(poll_s)


async def start(app: FastAPI) -> Callable[[], Awaitable[None]]:
    """Start this process's sweeper; returns the coroutine function that stops it."""
    settings: Settings = app.state.settings
    task = asyncio.create_task(
        run(
            app.state.sessionmaker,
            app.state.read_sessionmaker,
            app.state.broker,
            settings.auto_resolve_poll_s,
        ),
        name="auto-resolve",
    )

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return stop
