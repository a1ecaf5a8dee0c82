"""Human agents: create, read, update, status changes."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import delete as sa_delete
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.agents.models import Agent
from relaydesk.agents.schemas import AgentOut
from relaydesk.auth.models import AccessToken
from relaydesk.db import new_id, utcnow
from relaydesk.errors import Conflict, NotFound
from relaydesk.events import Event, emit, emit_revoked
from relaydesk.security import hash_password


async def get(session: AsyncSession, *, app_id: str, agent_id: str) -> Agent:
    """The app's agent (not deleted), else 404 (found by id and app in one statement)."""
    agent = await session.scalar(
        select(Agent).where(
            Agent.id == agent_id, Agent.app_id == app_id, Agent.deleted_at.is_(None)
        )
    )
    if agent is None:
        raise NotFound("No such agent.")
    return agent


async def get_by_email(session: AsyncSession, *, app_id: str, email: str) -> Agent | None:
    return await session.scalar(
        select(Agent).where(
            Agent.app_id == app_id, Agent.email == email.lower(), Agent.deleted_at.is_(None)
        )
    )


async def list(session: AsyncSession, *, app_id: str) -> builtins.list[Agent]:  # noqa: A001
    """The app's agents in creation order (the round-robin order)."""
    rows = await session.scalars(
        select(Agent)
        .where(Agent.app_id == app_id, Agent.deleted_at.is_(None))
        .order_by(Agent.created_at, Agent.id)
    )
    return [*rows]


async def create(
    session: AsyncSession,
    *,
    app_id: str,
    email: str,
    name: str,
    password: str | None = None,
    password_hash: str | None = None,
    role: str = "agent",
    status: str = "offline",
    max_concurrent: int | None = None,
) -> Agent:
    email = email.lower()
    if await session.scalar(select(Agent.id).where(Agent.app_id == app_id, Agent.email == email)):
        raise Conflict("An agent with this email exists already.", code="email_taken")
    agent = Agent(
        id=new_id("agt"),
        app_id=app_id,
        email=email,
        name=name,
        role=role,
        status=status,
        max_concurrent=max_concurrent,
        password_hash=password_hash or (hash_password(password) if password else None),
    )
    session.add(agent)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent create with the same email
        raise Conflict("An agent with this email exists already.", code="email_taken") from exc
    emit_status(session, agent)
    return agent


async def update(session: AsyncSession, *, agent: Agent, changes: dict[str, Any]) -> bool:
    """Apply field changes; True when status or capacity changed (routing reacts next)."""
    before = (agent.status, agent.max_concurrent)
    for field in ("name", "role", "status"):
        if field in changes and changes[field] is not None:
            setattr(agent, field, changes[field])
    if "max_concurrent" in changes:
        agent.max_concurrent = changes["max_concurrent"]
    if changes.get("password_hash"):  # hashed by the action, off the event loop
        agent.password_hash = changes["password_hash"]
    await session.flush()
    if agent.status != before[0]:
        emit_status(session, agent)
    return (agent.status, agent.max_concurrent) != before


async def delete(session: AsyncSession, *, agent: Agent) -> None:
    """Mark an agent deleted: offline, the email freed, memberships and sessions dropped.

    Routing re-routes their open conversations next (in the same transaction).
    """
    from relaydesk.teams.models import TeamMember

    agent.status = "offline"
    agent.deleted_at = utcnow()
    agent.email = f"deleted+{agent.id}@invalid"
    agent.password_hash = None
    await session.execute(sa_delete(TeamMember).where(TeamMember.agent_id == agent.id))
    await session.flush()
    await session.execute(
        sa_delete(AccessToken).where(
            AccessToken.principal_type == "agent", AccessToken.principal_id == agent.id
        )
    )
    await session.flush()


def emit_deleted(session: AsyncSession, agent: Agent) -> None:
    """Tell clients the agent is gone, and close the sockets they had open."""
    emit_status(session, agent)
    emit_revoked(session, app_id=agent.app_id, kind="agent", id=agent.id)


def emit_status(session: AsyncSession, agent: Agent) -> None:
    emit(
        session,
        Event(
            type="agent.status",
            app_id=agent.app_id,
            data=AgentOut.model_validate(agent).model_dump(mode="json"),
        ),
    )
