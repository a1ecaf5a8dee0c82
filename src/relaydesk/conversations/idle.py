"""The auto-resolve sweeper: every worker process looks, every ``auto_resolve_poll_s``, for
open conversations of apps with ``auto_resolve`` set that were answered and then went
quiet, and resolves each through :func:`relaydesk.actions.conversations.auto_resolve`
(which rechecks under the locks, so processes sweeping together resolve each once)."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from relaydesk.actions import conversations as actions
from relaydesk.conversations import service
from relaydesk.events import Broker
from relaydesk.periodic import every
from relaydesk.routing.models import RoutingSettings

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


async def _sweep(app: FastAPI) -> None:
    state = app.state
    await sweep_once(state.sessionmaker, state.read_sessionmaker, state.broker)


start = every("auto-resolve", lambda settings: settings.auto_resolve_poll_s, _sweep)
