"""Routing after deletions: agents, teams and AI agents that go take no conversation along.

Settings forget them, rotation pointers move to the one before them, and their open
conversations follow the rules (see docs/routing-engine.md).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete as sa_delete
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.agents.models import Agent
from relaydesk.ai_agents.models import AIAgent
from relaydesk.conversations.models import Conversation
from relaydesk.routing import engine
from relaydesk.routing.apply import SYSTEM, Applied, Router
from relaydesk.routing.models import RotationPointer
from relaydesk.routing.snapshot import conversation_snapshot, load_snapshot, lock_settings
from relaydesk.teams.models import Team


async def reroute_agent(
    router: Router, agent_id: str, *, respect_setting: bool, detail: str | None
) -> None:
    open_convs = list(
        await router.session.scalars(
            select(Conversation)
            .where(
                Conversation.app_id == router.settings.app_id,
                Conversation.status == "open",
                Conversation.assignee_type == "agent",
                Conversation.assignee_id == agent_id,
            )
            .order_by(Conversation.created_at)
            .with_for_update()
        )
    )
    if not open_convs:
        return
    snaps = [await conversation_snapshot(router.session, c) for c in open_convs]
    if respect_setting:
        result = engine.agent_offline(router.snapshot, snaps, agent_id)
        if isinstance(result, engine.NoChange):
            return
        by_id = {c.id: c for c in open_convs}
        for conversation_id, decision in result:
            await router.apply(by_id[conversation_id], decision, actor=SYSTEM)
        return
    for conversation, snap in zip(open_convs, snaps, strict=True):
        decision = engine.human_rules(
            router.snapshot, snap, reason="agent_offline", detail=detail, exclude={agent_id}
        )
        await router.apply(conversation, decision, actor=SYSTEM)


async def team_deleted(session: AsyncSession, *, team: Team) -> list[Applied]:
    """A team goes: its channel rules are dropped and its conversations lose the team.

    Waiting conversations that were held for the team can then go to anyone eligible.
    """
    settings = await lock_settings(session, app_id=team.app_id)
    settings.channel_rules = [
        r for r in settings.channel_rules or [] if not _rule_targets(r, "team", team.id)
    ]
    await session.execute(
        update(Conversation)
        .where(Conversation.app_id == team.app_id, Conversation.team_id == team.id)
        .values(team_id=None)
    )
    await session.execute(
        sa_delete(RotationPointer).where(
            RotationPointer.app_id == team.app_id,
            RotationPointer.scope == engine.team_scope(team.id),
        )
    )
    await session.flush()
    router = Router(session, settings, await load_snapshot(session, settings=settings))
    # the snapshot still lists the team until the row is deleted; drop it for dequeue
    router.snapshot = engine.Snapshot(
        settings=router.snapshot.settings,
        agents=router.snapshot.agents,
        teams={k: v for k, v in router.snapshot.teams.items() if k != team.id},
        ai_agents=router.snapshot.ai_agents,
        pointers=router.snapshot.pointers,
    )
    await router.dequeue()
    return router.applied


def _rule_targets(rule: dict[str, Any], type_: str, id_: str) -> bool:
    return bool(rule["assign_to"]["type"] == type_ and rule["assign_to"]["id"] == id_)


async def _repoint(session: AsyncSession, *, app_id: str, gone: str, previous: str | None) -> None:
    """Pointers naming a deleted (AI) agent name the one before them in the order instead.

    The walk then resumes exactly where it would have (just after the deleted one's place)
    instead of restarting at the oldest agent (see docs/routing-engine.md).
    """
    where = (RotationPointer.app_id == app_id, RotationPointer.last_id == gone)
    if previous:
        await session.execute(update(RotationPointer).where(*where).values(last_id=previous))
    else:  # nobody left to follow: the walk starts at the beginning
        await session.execute(sa_delete(RotationPointer).where(*where))


async def agent_deleted(session: AsyncSession, *, agent: Agent) -> list[Applied]:
    """An agent goes: settings forget them, their open conversations follow the human rules.

    The caller has marked the agent deleted (and flushed) before calling; the rotation
    pointers that named them are moved to the agent before them in creation order.
    """
    settings = await lock_settings(session, app_id=agent.app_id)
    if settings.default_agent_id == agent.id:
        settings.default_agent_id = None
    settings.channel_rules = [
        r for r in settings.channel_rules or [] if not _rule_targets(r, "agent", agent.id)
    ]
    before = await session.scalar(
        select(Agent.id)
        .where(
            Agent.app_id == agent.app_id,
            Agent.deleted_at.is_(None),
            Agent.id != agent.id,
            (Agent.created_at < agent.created_at)
            | ((Agent.created_at == agent.created_at) & (Agent.id < agent.id)),
        )
        .order_by(Agent.created_at.desc(), Agent.id.desc())
        .limit(1)
    )
    if before is None:  # the first in the order: the one before it is the last (wrap around)
        before = await session.scalar(
            select(Agent.id)
            .where(Agent.app_id == agent.app_id, Agent.deleted_at.is_(None), Agent.id != agent.id)
            .order_by(Agent.created_at.desc(), Agent.id.desc())
            .limit(1)
        )
    await _repoint(session, app_id=agent.app_id, gone=agent.id, previous=before)
    await session.flush()
    router = Router(session, settings, await load_snapshot(session, settings=settings))
    await reroute_agent(router, agent.id, respect_setting=False, detail="agent_deleted")
    return router.applied


async def ai_agent_deleted(session: AsyncSession, *, ai_agent: AIAgent) -> list[Applied]:
    """An AI agent goes: settings forget it, its open conversations go to the humans."""
    settings = await lock_settings(session, app_id=ai_agent.app_id)
    selected = list(settings.ai_agent_ids or [])
    if ai_agent.id in selected and len(selected) > 1:
        i = selected.index(ai_agent.id)
        previous: str | None = selected[i - 1]  # wraps around to the last one
    else:
        previous = None
    await _repoint(session, app_id=ai_agent.app_id, gone=ai_agent.id, previous=previous)
    settings.ai_agent_ids = [i for i in selected if i != ai_agent.id]
    if not settings.ai_agent_ids:
        settings.ai_enabled = False
    settings.channel_rules = [
        r for r in settings.channel_rules or [] if not _rule_targets(r, "ai_agent", ai_agent.id)
    ]
    await session.flush()
    router = Router(session, settings, await load_snapshot(session, settings=settings))
    convs = list(
        await session.scalars(
            select(Conversation)
            .where(
                Conversation.app_id == ai_agent.app_id,
                Conversation.status.in_(("open", "waiting")),
                Conversation.assignee_type == "ai_agent",
                Conversation.assignee_id == ai_agent.id,
            )
            .with_for_update()
        )
    )
    for conversation in convs:
        snap = await conversation_snapshot(session, conversation)
        decision = engine.human_rules(
            router.snapshot, snap, reason="ai_handoff", detail="ai_agent_deleted"
        )
        await router.apply(conversation, decision, actor=SYSTEM)
    return router.applied
