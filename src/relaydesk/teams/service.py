"""Teams and their members."""

from __future__ import annotations

import builtins
from types import EllipsisType
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.agents.models import Agent
from relaydesk.db import new_id
from relaydesk.errors import Invalid, NotFound
from relaydesk.teams.models import Team, TeamMember
from relaydesk.teams.schemas import TeamOut


async def get(session: AsyncSession, *, app_id: str, team_id: str) -> Team:
    """The app's team, else 404 (found by id and app in one statement)."""
    team = await session.scalar(select(Team).where(Team.id == team_id, Team.app_id == app_id))
    if team is None:
        raise NotFound("No such team.")
    return team


async def id_by_id_or_name(session: AsyncSession, *, app_id: str, id_or_name: str) -> str | None:
    """The id of the app's team with this id, else with this name (case-insensitive)."""
    rows = await session.execute(
        select(Team.id, Team.id == id_or_name)
        .where(
            Team.app_id == app_id,
            or_(Team.id == id_or_name, func.lower(Team.name) == id_or_name.strip().lower()),
        )
        .order_by(Team.created_at, Team.id)
    )
    found = rows.all()
    exact = [team_id for team_id, by_id in found if by_id]
    return exact[0] if exact else found[0][0] if found else None


async def member_ids(session: AsyncSession, *, team_id: str) -> builtins.list[str]:
    """Members in agent creation order (the team's round-robin order)."""
    rows = await session.scalars(
        select(TeamMember.agent_id)
        .join(Agent, Agent.id == TeamMember.agent_id)
        .where(TeamMember.team_id == team_id, Agent.deleted_at.is_(None))
        .order_by(Agent.created_at, Agent.id)
    )
    return [*rows]


async def out(session: AsyncSession, team: Team) -> TeamOut:
    return TeamOut(
        id=team.id,
        name=team.name,
        member_ids=await member_ids(session, team_id=team.id),
        business_hours=team.business_hours,
        created_at=team.created_at,
    )


async def list(session: AsyncSession, *, app_id: str) -> builtins.list[Team]:  # noqa: A001
    rows = await session.scalars(
        select(Team).where(Team.app_id == app_id).order_by(Team.created_at)
    )
    return [*rows]


async def _check_members(
    session: AsyncSession, *, app_id: str, ids: builtins.list[str]
) -> builtins.list[str]:
    unique = [*dict.fromkeys(ids)]
    found = set(
        await session.scalars(
            select(Agent.id).where(
                Agent.app_id == app_id, Agent.id.in_(unique), Agent.deleted_at.is_(None)
            )
        )
    )
    missing = [i for i in unique if i not in found]
    if missing:
        raise Invalid("Unknown agent ids in member_ids.", code="unknown_agent", details=missing)
    return unique


async def create(
    session: AsyncSession,
    *,
    app_id: str,
    name: str,
    member_ids: builtins.list[str],
    business_hours: dict[str, Any] | None = None,
) -> Team:
    ids = await _check_members(session, app_id=app_id, ids=member_ids)
    team = Team(id=new_id("team"), app_id=app_id, name=name, business_hours=business_hours)
    session.add(team)
    await session.flush()
    session.add_all([TeamMember(team_id=team.id, agent_id=i) for i in ids])
    await session.flush()
    return team


async def update(
    session: AsyncSession,
    *,
    team: Team,
    name: str | None,
    member_ids: builtins.list[str] | None,
    business_hours: dict[str, Any] | None | EllipsisType = ...,
) -> Team:
    """Change what is given (``business_hours``: ``...`` keeps them, None clears them)."""
    if name is not None:
        team.name = name
    if business_hours is not ...:
        team.business_hours = business_hours
    if member_ids is not None:
        ids = await _check_members(session, app_id=team.app_id, ids=member_ids)
        await session.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
        session.add_all([TeamMember(team_id=team.id, agent_id=i) for i in ids])
    await session.flush()
    return team


async def delete_team(session: AsyncSession, *, team: Team) -> None:
    """Delete a team (routing has cleaned up the settings and conversations using it)."""
    await session.delete(team)
    await session.flush()
