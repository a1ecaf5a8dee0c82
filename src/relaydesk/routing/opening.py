"""Opening on time: every ``hours_poll_s`` each worker process looks for apps with business
hours (their own or a team's) and conversations waiting, and assigns what the rules now
allow (:func:`relaydesk.actions.routing.dequeue_opened`, under the app's lock: processes
doing it together assign each conversation once). No request needs to arrive."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from relaydesk import clock
from relaydesk.actions import routing as actions
from relaydesk.conversations.models import Conversation
from relaydesk.events import Broker
from relaydesk.periodic import every
from relaydesk.routing import hours
from relaydesk.routing.models import RoutingSettings
from relaydesk.teams.models import Team


async def sweep_once(
    maker: async_sessionmaker[AsyncSession],
    read_maker: async_sessionmaker[AsyncSession],
    broker: Broker,
) -> int:
    """Dequeue in every app that has hours, waiting conversations and is (partly) open."""
    waiting = exists().where(
        Conversation.app_id == RoutingSettings.app_id, Conversation.status == "waiting"
    )
    team_hours = exists().where(
        Team.app_id == RoutingSettings.app_id, Team.business_hours.is_not(None)
    )
    async with read_maker() as session:
        rows = (
            await session.execute(
                select(RoutingSettings.app_id, RoutingSettings.business_hours, team_hours)
                .where(waiting)
                .where(or_(RoutingSettings.business_hours.is_not(None), team_hours))
            )
        ).all()
    now = clock.now()
    assigned = 0
    for app_id, app_hours, teams_have_hours in rows:
        if teams_have_hours or hours.is_open(app_hours, now):
            async with maker() as session:
                assigned += await actions.dequeue_opened(session, broker, app_id=app_id)
    return assigned


async def _sweep(app: FastAPI) -> None:
    state = app.state
    await sweep_once(state.sessionmaker, state.read_sessionmaker, state.broker)


start = every("business-hours", lambda settings: settings.hours_poll_s, _sweep)
