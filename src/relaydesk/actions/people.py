"""Changes to who answers: agents (status, capacity, deletion), teams and AI agents.

Each can move conversations: an agent going offline or away, capacity freed, a team, an
agent or an AI agent deleted. Routing reacts in the same transaction.
"""

from __future__ import annotations

import asyncio
from types import EllipsisType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.actions.follow import start_ai_turns
from relaydesk.agents import service as agents
from relaydesk.agents.models import Agent
from relaydesk.agents.schemas import AgentOut
from relaydesk.ai_agents import service as ai_agents
from relaydesk.ai_agents.models import AIAgent
from relaydesk.ai_agents.schemas import AIAgentOut
from relaydesk.audit import service as audit
from relaydesk.audit.schemas import Actor
from relaydesk.auth import service as tokens
from relaydesk.errors import Forbidden
from relaydesk.events import Broker, commit, emit_revoked
from relaydesk.routing import service as routing
from relaydesk.routing.snapshot import lock_settings
from relaydesk.security import SecretBox, hash_password, hash_token, verify_password
from relaydesk.teams import service as teams
from relaydesk.teams.models import Team
from relaydesk.teams.schemas import TeamOut


async def create_agent(
    session: AsyncSession, broker: Broker, *, app_id: str, fields: dict[str, Any], actor: Actor
) -> Agent:
    """Invite an agent (the password is hashed off the event loop)."""
    password = fields.pop("password", None)
    if password:
        fields["password_hash"] = await asyncio.to_thread(hash_password, password)
    agent = await agents.create(session, app_id=app_id, **fields)
    _audit(session, actor, "agent.create", "agent", agent, audit.diff({}, _agent_view(agent)))
    await commit(session, broker)
    return agent


async def update_agent(
    session: AsyncSession,
    broker: Broker,
    *,
    agent: Agent,
    changes: dict[str, Any],
    actor: Actor,
    own_token: str | None = None,
) -> Agent:
    """Change an agent; a new status or capacity re-routes (offline) and moves the queue.

    A new password ends every other session of the agent (their sockets close); agents
    changing their own (``own_token`` is the caller's) must give the current one, and keep
    the session they made the change with.
    """
    previous_status = agent.status
    before = _agent_view(agent)
    changes = dict(changes)
    current = changes.pop("current_password", None)
    password = changes.pop("password", None)
    if password:
        if own_token is not None and not await asyncio.to_thread(
            verify_password, agent.password_hash, current or ""
        ):
            raise Forbidden(
                "To change your password, give your current password (current_password).",
                code="current_password_invalid",
            )
        changes["password_hash"] = await asyncio.to_thread(hash_password, password)
        keep = hash_token(own_token) if own_token else None
        for digest in await tokens.revoke_agent_sessions(
            session, agent_id=agent.id, keep_hash=keep
        ):
            emit_revoked(session, app_id=agent.app_id, token_hash=digest)
    if await agents.update(session, agent=agent, changes=changes):
        applied = await routing.agent_changed(session, agent=agent, previous_status=previous_status)
        await start_ai_turns(session, applied)
    diff = audit.diff(before, _agent_view(agent), secrets=["password"] if password else [])
    if diff and not (actor.id == agent.id and diff.keys() <= {"status"}):  # own status: not
        _audit(session, actor, "agent.update", "agent", agent, diff)  # an admin action
    await commit(session, broker)
    return agent


def _agent_view(agent: Agent) -> dict[str, Any]:
    return audit.view(AgentOut.model_validate(agent))


async def delete_agent(
    session: AsyncSession, broker: Broker, *, agent: Agent, actor: Actor
) -> None:
    """Remove an agent: their open conversations follow the human rules; sockets close."""
    _audit(session, actor, "agent.delete", "agent", agent, audit.diff(_agent_view(agent), {}))
    await agents.delete(session, agent=agent)
    await start_ai_turns(session, await routing.agent_deleted(session, agent=agent))
    agents.emit_deleted(session, agent)
    await commit(session, broker)


async def create_team(
    session: AsyncSession,
    broker: Broker,
    *,
    app_id: str,
    name: str,
    member_ids: list[str],
    actor: Actor,
    business_hours: dict[str, Any] | None = None,
) -> TeamOut:
    team = await teams.create(
        session, app_id=app_id, name=name, member_ids=member_ids, business_hours=business_hours
    )
    return await _team_saved(session, broker, team, actor, "team.create", {})


async def update_team(
    session: AsyncSession,
    broker: Broker,
    *,
    team: Team,
    name: str | None,
    member_ids: list[str] | None,
    actor: Actor,
    business_hours: dict[str, Any] | None | EllipsisType = ...,
) -> TeamOut:
    new_hours = business_hours is not ... and business_hours != team.business_hours
    if new_hours:  # routing's lock order: the app's routing row before anything else
        await lock_settings(session, app_id=team.app_id)
    before = audit.view(await teams.out(session, team))
    await teams.update(
        session, team=team, name=name, member_ids=member_ids, business_hours=business_hours
    )
    if new_hours:  # the team may be open now: its waiting conversations can go
        await start_ai_turns(session, await routing.dequeue_waiting(session, app_id=team.app_id))
    return await _team_saved(session, broker, team, actor, "team.update", before)


async def _team_saved(
    session: AsyncSession,
    broker: Broker,
    team: Team,
    actor: Actor,
    action: str,
    before: dict[str, Any],
) -> TeamOut:
    result = await teams.out(session, team)
    changes = audit.diff(before, audit.view(result))
    if changes or action != "team.update":
        _audit(session, actor, action, "team", team, changes)
    await commit(session, broker)
    return result


async def delete_team(session: AsyncSession, broker: Broker, *, team: Team, actor: Actor) -> None:
    """Delete a team: rules naming it go, its waiting conversations go to anyone eligible."""
    before = audit.view(await teams.out(session, team))
    _audit(session, actor, "team.delete", "team", team, audit.diff(before, {}))
    await start_ai_turns(session, await routing.team_deleted(session, team=team))
    await teams.delete_team(session, team=team)
    await commit(session, broker)


async def create_ai_agent(
    session: AsyncSession,
    broker: Broker,
    *,
    app_id: str,
    box: SecretBox,
    fields: dict[str, Any],
    actor: Actor,
) -> AIAgentOut:
    """Add an AI agent; the provider checks the configuration first (422 with its reason)."""
    ai_agent = await ai_agents.create(session, app_id=app_id, box=box, **fields)
    return await _ai_agent_saved(session, broker, ai_agent, box, actor, "ai_agent.create", {})


async def import_ai_agent(
    session: AsyncSession,
    broker: Broker | None,
    *,
    app_id: str,
    box: SecretBox,
    fields: dict[str, Any],
    handle_new_conversations: bool,
    actor: Actor,
) -> AIAgentOut:
    """Add an AI agent (``relaydesk ai-agent import``), optionally with AI routing on with it
    alone, in one transaction."""
    ai_agent = await ai_agents.create(session, app_id=app_id, box=box, **fields)
    if handle_new_conversations:
        await routing.hand_new_conversations_to(session, app_id=app_id, ai_agent_id=ai_agent.id)
    return await _ai_agent_saved(session, broker, ai_agent, box, actor, "ai_agent.create", {})


async def update_ai_agent(
    session: AsyncSession,
    broker: Broker,
    *,
    ai_agent: AIAgent,
    box: SecretBox,
    changes: dict[str, Any],
    config: ai_agents.CheckedConfig | None,
    actor: Actor,
) -> AIAgentOut:
    """Change an AI agent; a new config was checked by the provider before (outside) this
    transaction; 409 if the AI agent changed since."""
    before = audit.view(ai_agents.out(ai_agent, box))
    await ai_agents.update(session, ai_agent=ai_agent, changes=changes, config=config)
    secrets = ai_agents.secrets_given(ai_agent.kind, changes.get("config"))
    return await _ai_agent_saved(
        session, broker, ai_agent, box, actor, "ai_agent.update", before, secrets
    )


async def _ai_agent_saved(
    session: AsyncSession,
    broker: Broker | None,
    ai_agent: AIAgent,
    box: SecretBox,
    actor: Actor,
    action: str,
    before: dict[str, Any],
    secrets: list[str] | None = None,
) -> AIAgentOut:
    result = ai_agents.out(ai_agent, box)
    changes = audit.diff(before, audit.view(result), secrets=secrets or [])
    if changes or action != "ai_agent.update":
        _audit(session, actor, action, "ai_agent", ai_agent, changes)
    await commit(session, broker)
    return result


async def delete_ai_agent(
    session: AsyncSession, broker: Broker, *, ai_agent: AIAgent, box: SecretBox, actor: Actor
) -> None:
    """Remove an AI agent: routing forgets it and its open conversations go to the humans."""
    before = audit.view(ai_agents.out(ai_agent, box))
    _audit(session, actor, "ai_agent.delete", "ai_agent", ai_agent, audit.diff(before, {}))
    await ai_agents.delete(session, ai_agent=ai_agent)
    await start_ai_turns(session, await routing.ai_agent_deleted(session, ai_agent=ai_agent))
    await commit(session, broker)


def _audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    target_type: str,
    target: Agent | Team | AIAgent,
    changes: dict[str, Any],
) -> None:
    audit.record(
        session,
        app_id=target.app_id,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target.id,
        target_name=target.name,
        changes=changes,
    )
