"""What routing decides on: the app's locked settings and a snapshot read in that transaction.

Every routing operation first locks the app's ``routing_settings`` row (``SELECT … FOR
UPDATE`` on PostgreSQL; SQLite serializes writers with ``BEGIN IMMEDIATE``) and loads an
:class:`engine.Snapshot` inside that transaction, so capacity counts and rotation pointers
are those of the locked state.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk import clock
from relaydesk.agents.models import Agent
from relaydesk.ai_agents.models import AIAgent
from relaydesk.conversations.models import Conversation, Participant
from relaydesk.routing import engine, hours
from relaydesk.routing.models import RotationPointer, RoutingSettings
from relaydesk.teams.models import Team, TeamMember


async def lock_settings(session: AsyncSession, *, app_id: str) -> RoutingSettings:
    """The app's routing settings, locked for the rest of the transaction."""
    row = await session.scalar(
        select(RoutingSettings).where(RoutingSettings.app_id == app_id).with_for_update()
    )
    if row is None:  # apps made before routing existed
        row = RoutingSettings(app_id=app_id)
        session.add(row)
        await session.flush()
    return row


def settings_snapshot(row: RoutingSettings) -> engine.RoutingSettings:
    return engine.RoutingSettings(
        human_routing=row.human_routing,  # type: ignore[arg-type]
        default_agent_id=row.default_agent_id,
        ai_enabled=row.ai_enabled,
        ai_agent_ids=tuple(row.ai_agent_ids or ()),
        channel_rules={
            r["channel"]: engine.Target(type=r["assign_to"]["type"], id=r["assign_to"]["id"])
            for r in row.channel_rules or []
        },
        reassign_on_offline=row.reassign_on_offline,
        outside_hours="queue" if row.outside_hours == "queue" else "assign",
    )


async def load_snapshot(session: AsyncSession, *, settings: RoutingSettings) -> engine.Snapshot:
    """Agents with their open load, teams, AI agents and pointers, read in the locked txn.

    Plain rows, not ORM objects (the snapshot is read on every routed change, under the
    app's lock), and each agent's open load comes with it in one query.
    """
    app_id = settings.app_id
    loads = (
        select(Conversation.assignee_id.label("agent_id"), func.count().label("n"))
        .where(
            Conversation.app_id == app_id,
            Conversation.status == "open",
            Conversation.assignee_type == "agent",
        )
        .group_by(Conversation.assignee_id)
        .subquery()
    )
    agents = tuple(
        engine.Agent(
            id=a.id,
            email=a.email,
            status=a.status,
            open_count=int(a.n or 0),
            max_concurrent=a.max_concurrent,
        )
        for a in await session.execute(
            select(Agent.id, Agent.email, Agent.status, Agent.max_concurrent, loads.c.n)
            .outerjoin(loads, loads.c.agent_id == Agent.id)
            .where(Agent.app_id == app_id, Agent.deleted_at.is_(None))
            .order_by(Agent.created_at, Agent.id)
        )
    )
    now = clock.now()
    app_open = hours.is_open(settings.business_hours, now)
    members: dict[str, set[str]] = {}
    closed_teams: set[str] = set()
    open_own_hours: set[str] = set()
    for team_id, agent_id, team_hours in await session.execute(
        select(Team.id, TeamMember.agent_id, Team.business_hours)
        .outerjoin(TeamMember, TeamMember.team_id == Team.id)
        .where(Team.app_id == app_id)
    ):
        if team_id not in members:  # a team's own hours override the app's
            members[team_id] = set()
            team_open = hours.is_open(team_hours, now) if team_hours else app_open
            if not team_open:
                closed_teams.add(team_id)
            elif team_hours:
                open_own_hours.add(team_id)
        if agent_id:
            members[team_id].add(agent_id)
    ai_agents = {
        b.id: engine.AIAgent(id=b.id, auto_handoff=b.auto_handoff)
        for b in await session.execute(
            select(AIAgent.id, AIAgent.auto_handoff).where(
                AIAgent.app_id == app_id, AIAgent.deleted_at.is_(None)
            )
        )
    }
    pointers = {
        p.scope: p.last_id
        for p in await session.execute(
            select(RotationPointer.scope, RotationPointer.last_id).where(
                RotationPointer.app_id == app_id
            )
        )
        if p.last_id
    }
    return engine.Snapshot(
        settings=settings_snapshot(settings),
        agents=agents,
        teams={t: engine.Team(id=t, member_ids=frozenset(m)) for t, m in members.items()},
        ai_agents=ai_agents,
        pointers=pointers,
        closed=not app_open,
        closed_teams=frozenset(closed_teams),
        open_own_hours=frozenset(open_own_hours),
    )


async def conversation_snapshot(
    session: AsyncSession, conversation: Conversation
) -> engine.Conversation:
    participants = tuple(
        engine.Assignee(type=p.participant_type, id=p.participant_id)  # type: ignore[arg-type]
        for p in await session.scalars(
            select(Participant)
            .where(
                Participant.conversation_id == conversation.id,
                Participant.participant_type == "agent",
            )
            .order_by(Participant.joined_at)
        )
    )
    return conversation_view(conversation, participants)


def conversation_view(
    conversation: Conversation, participants: tuple[engine.Assignee, ...] = ()
) -> engine.Conversation:
    assignee = (
        engine.Assignee(type=conversation.assignee_type, id=conversation.assignee_id)  # type: ignore[arg-type]
        if conversation.assignee_type and conversation.assignee_id
        else None
    )
    return engine.Conversation(
        id=conversation.id,
        channel=conversation.channel,
        status=conversation.status,  # type: ignore[arg-type]
        team_id=conversation.team_id,
        assignee=assignee,
        participants=participants,
    )
