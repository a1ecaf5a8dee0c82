"""Opening on time: every ``hours_poll_s`` each worker process looks for apps with waiting
conversations whose desk (or one of whose teams) opened since it last looked, and assigns
what the rules now allow (:func:`relaydesk.actions.routing.dequeue_opened`, under the
app's lock: processes doing it together assign each conversation once). No request needs
to arrive."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from relaydesk import clock
from relaydesk.actions import routing as actions
from relaydesk.conversations.models import Conversation
from relaydesk.events import Broker
from relaydesk.periodic import every
from relaydesk.routing import hours
from relaydesk.routing.models import RoutingSettings
from relaydesk.teams.models import Team

#: besides openings, every process retries all waiting apps this often (a safety net for
#: an opening it did not see, e.g. while it was starting)
FULL_SWEEP_S = 60.0


async def sweep_once(
    maker: async_sessionmaker[AsyncSession],
    read_maker: async_sessionmaker[AsyncSession],
    broker: Broker,
    *,
    since: datetime | None,
) -> int:
    """Dequeue in each app with hours and waiting conversations whose desk or one of whose
    teams opened after ``since`` (every such app when ``since`` is None)."""
    waiting = exists().where(
        Conversation.app_id == RoutingSettings.app_id, Conversation.status == "waiting"
    )
    async with read_maker() as session:
        apps: dict[str, dict[str, Any] | None] = dict(
            (
                await session.execute(
                    select(RoutingSettings.app_id, RoutingSettings.business_hours).where(waiting)
                )
            ).all()
        )
        team_hours = (
            await session.execute(
                select(Team.app_id, Team.business_hours).where(
                    Team.app_id.in_(apps), Team.business_hours.is_not(None)
                )
            )
        ).all()
    now = clock.now()

    def opened(raw: dict[str, Any] | None) -> bool:
        if raw is None or not hours.is_open(raw, now):
            return False
        return since is None or not hours.is_open(raw, since)

    due = {app_id for app_id, raw in apps.items() if raw is not None and opened(raw)}
    due |= {app_id for app_id, raw in team_hours if opened(raw)}
    assigned = 0
    for app_id in sorted(due):
        async with maker() as session:
            assigned += await actions.dequeue_opened(session, broker, app_id=app_id)
    return assigned


class _Sweeper:
    """Remembers when this process last looked, so only openings since then dequeue."""

    def __init__(self) -> None:
        self.last: datetime | None = None
        self.last_full = 0.0

    async def __call__(self, app: FastAPI) -> None:
        state, now = app.state, clock.now()
        full = time.monotonic() - self.last_full >= FULL_SWEEP_S
        since = None if full else self.last
        await sweep_once(state.sessionmaker, state.read_sessionmaker, state.broker, since=since)
        self.last = now
        if full:
            self.last_full = time.monotonic()


start = every("business-hours", lambda settings: settings.hours_poll_s, _Sweeper())
