"""Applies the pure engine's decisions: one locked snapshot per app, one transaction.

Every routing operation first locks the app's ``routing_settings`` row (``SELECT … FOR
UPDATE`` on PostgreSQL; SQLite serializes writers with ``BEGIN IMMEDIATE``), loads a
:class:`engine.Snapshot` inside that transaction, asks the engine, and applies the decision:
assignee, status, team, rotation pointers, the audit trail, events, greetings and AI turns.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from sqlalchemy import delete as sa_delete
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.agents.models import Agent
from relaydesk.ai_agents import jobs
from relaydesk.ai_agents.models import AIAgent
from relaydesk.conversations.models import Assignment, Conversation, Participant
from relaydesk.db import utcnow
from relaydesk.errors import ApiError, Conflict, Invalid
from relaydesk.events import Event, emit
from relaydesk.messages.models import Message
from relaydesk.routing import engine
from relaydesk.routing.models import RotationPointer, RoutingSettings
from relaydesk.teams.models import Team, TeamMember

Actor = tuple[str, str | None]
SYSTEM: Actor = ("system", None)


# --- loading ------------------------------------------------------------------------------


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
    )


async def load_snapshot(session: AsyncSession, *, settings: RoutingSettings) -> engine.Snapshot:
    """Agents with their open load, teams, AI agents and pointers, read in the locked txn."""
    app_id = settings.app_id
    loads = dict(
        (
            await session.execute(
                select(Conversation.assignee_id, func.count())
                .where(
                    Conversation.app_id == app_id,
                    Conversation.status == "open",
                    Conversation.assignee_type == "agent",
                )
                .group_by(Conversation.assignee_id)
            )
        ).all()
    )
    agents = tuple(
        engine.Agent(
            id=a.id,
            email=a.email,
            status=a.status,  # type: ignore[arg-type]
            open_count=int(loads.get(a.id, 0)),
            max_concurrent=a.max_concurrent,
        )
        for a in await session.scalars(
            select(Agent)
            .where(Agent.app_id == app_id, Agent.deleted_at.is_(None))
            .order_by(Agent.created_at, Agent.id)
            # rows loaded earlier in this transaction (before the lock) may be stale
            .execution_options(populate_existing=True)
        )
    )
    members: dict[str, set[str]] = {}
    for team_id, agent_id in await session.execute(
        select(Team.id, TeamMember.agent_id)
        .outerjoin(TeamMember, TeamMember.team_id == Team.id)
        .where(Team.app_id == app_id)
    ):
        members.setdefault(team_id, set())
        if agent_id:
            members[team_id].add(agent_id)
    ai_agents = {
        b.id: engine.AIAgent(id=b.id, auto_handoff=b.auto_handoff)
        for b in await session.scalars(
            select(AIAgent).where(AIAgent.app_id == app_id, AIAgent.deleted_at.is_(None))
        )
    }
    pointers = {
        p.scope: p.last_id
        for p in await session.scalars(
            select(RotationPointer).where(RotationPointer.app_id == app_id)
        )
        if p.last_id
    }
    return engine.Snapshot(
        settings=settings_snapshot(settings),
        agents=agents,
        teams={t: engine.Team(id=t, member_ids=frozenset(m)) for t, m in members.items()},
        ai_agents=ai_agents,
        pointers=pointers,
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
    return _conv(conversation, participants)


def _conv(
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


async def _save_pointer(session: AsyncSession, *, app_id: str, scope: str, last_id: str) -> None:
    """Move a rotation pointer: one upsert statement (the row may not exist yet)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(RotationPointer).values(app_id=app_id, scope=scope, last_id=last_id)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["app_id", "scope"], set_={"last_id": stmt.excluded.last_id}
        )
    )


class Router:
    """One routing operation on one app: the locked settings and a snapshot kept current."""

    def __init__(self, session: AsyncSession, settings: RoutingSettings, snap: engine.Snapshot):
        self.session = session
        self.settings = settings
        self.snapshot = snap

    @classmethod
    async def open(cls, session: AsyncSession, *, app_id: str) -> Router:
        settings = await lock_settings(session, app_id=app_id)
        return cls(session, settings, await load_snapshot(session, settings=settings))

    async def apply(
        self,
        conversation: Conversation,
        decision: engine.Decision,
        *,
        actor: Actor,
        detail: str | None = None,
    ) -> None:
        """Write the decision: conversation, pointers, audit row, participant, events, turns."""
        session = self.session
        before = _conv(conversation)  # apply_decision reads only its status and assignee
        prev_type, prev_id = conversation.assignee_type, conversation.assignee_id
        new = decision.assignee
        conversation.assignee_type = new.type if new else None
        conversation.assignee_id = new.id if new else None
        conversation.status = decision.status
        conversation.team_id = decision.team_id
        now = utcnow()
        conversation.updated_at = now
        if decision.status == "waiting":
            conversation.queued_at = conversation.queued_at or now
        else:
            conversation.queued_at = None
        for scope, last_id in decision.pointer_updates.items():
            await _save_pointer(session, app_id=conversation.app_id, scope=scope, last_id=last_id)
        session.add(
            Assignment(
                app_id=conversation.app_id,
                conversation_id=conversation.id,
                at=now,
                from_type=prev_type,
                from_id=prev_id,
                to_type=new.type if new else None,
                to_id=new.id if new else None,
                team_id=decision.team_id,
                reason=decision.reason,
                detail=decision.detail or detail,
                actor_type=actor[0],
                actor_id=actor[1],
            )
        )
        if new is not None:
            from relaydesk.messages.service import add_participant

            await add_participant(
                session, conversation_id=conversation.id, type_=new.type, id_=new.id
            )
        await session.flush()
        self.snapshot = engine.apply_decision(self.snapshot, decision, previous=before)
        await _emit_assigned(session, conversation, decision, actor)
        if new is not None and new.type == "ai_agent":
            if decision.send_event is not None:
                await jobs.enqueue(
                    session,
                    app_id=conversation.app_id,
                    conversation_id=conversation.id,
                    ai_agent_id=new.id,
                    kind="event",
                    event={
                        "name": decision.send_event.name,
                        "data": dict(decision.send_event.data or {}),
                    },
                )
            elif decision.send_welcome:
                await jobs.enqueue(
                    session,
                    app_id=conversation.app_id,
                    conversation_id=conversation.id,
                    ai_agent_id=new.id,
                    kind="welcome",
                )

    async def dequeue(self, *, actor: Actor = SYSTEM, limit: int = 500) -> int:
        """Assign waiting conversations, oldest first, while someone is eligible."""
        if not any(a.eligible for a in self.snapshot.agents):
            return 0
        waiting = list(
            await self.session.scalars(
                select(Conversation)
                .where(
                    Conversation.app_id == self.settings.app_id, Conversation.status == "waiting"
                )
                .order_by(Conversation.queued_at, Conversation.created_at, Conversation.id)
                .limit(limit)
                .with_for_update()
            )
        )
        if not waiting:
            return 0
        by_id = {c.id: c for c in waiting}
        decisions = engine.dequeue(self.snapshot, [_conv(c) for c in waiting])
        for conversation_id, decision in decisions:
            await self.apply(by_id[conversation_id], decision, actor=actor)
        return len(decisions)


async def _emit_assigned(
    session: AsyncSession, conversation: Conversation, decision: engine.Decision, actor: Actor
) -> None:
    from relaydesk.conversations.service import out

    data = (await out(session, conversation)).model_dump(mode="json")
    data["assignment"] = {
        "reason": decision.reason,
        "detail": decision.detail,
        "actor": {"type": actor[0], "id": actor[1]},
    }
    emit(
        session,
        Event(
            type="conversation.assigned",
            app_id=conversation.app_id,
            conversation_id=conversation.id,
            contact_id=conversation.contact_id,
            data=data,
        ),
    )
    if decision.notify_everybody:
        emit(
            session,
            Event(
                type="conversation.notify",
                app_id=conversation.app_id,
                conversation_id=conversation.id,
                data=data,
            ),
        )


async def greet(
    session: AsyncSession, conversation: Conversation, settings: RoutingSettings, kind: str
) -> None:
    """Post the app's welcome or away message as a system message (routing.md §3)."""
    from relaydesk.messages import service as messages

    text = settings.welcome_message if kind == "welcome_message" else settings.away_message
    if text:
        await messages.create(
            session,
            conversation=conversation,
            sender_type="system",
            sender_id=None,
            text=text,
            metadata={"relaydesk": kind},
        )


# --- seams called by the other domains ----------------------------------------------------


def _target(explicit: dict[str, Any] | None) -> engine.Target | None:
    if not explicit:
        return None
    return engine.Target(type=explicit["type"], id=explicit["id"])


async def route_new(
    session: AsyncSession,
    *,
    conversation: Conversation,
    explicit: dict[str, Any] | None,
    actor: Actor,
) -> None:
    """Route a conversation that was just created (routing.md §2, §3)."""
    router = await Router.open(session, app_id=conversation.app_id)
    target = _target(explicit)
    if target is not None:
        await _check_target_exists(router.snapshot, target)
    decision = engine.route_new(router.snapshot, _conv(conversation), explicit=target)
    greeting = engine.greeting(router.snapshot, decision)
    await router.apply(conversation, decision, actor=actor)
    if greeting != "ai_welcome":
        await greet(session, conversation, router.settings, greeting)


async def _check_target_exists(snapshot: engine.Snapshot, target: engine.Target) -> None:
    known = {
        "agent": snapshot.agent(target.id) is not None,
        "team": target.id in snapshot.teams,
        "ai_agent": target.id in snapshot.ai_agents,
    }[target.type]
    if not known:
        raise Invalid(
            f"No {target.type.replace('_', ' ')} with id {target.id}.", code="unknown_assignee"
        )


async def contact_wrote(
    session: AsyncSession, *, conversation: Conversation, message: Message
) -> None:
    """A contact's message was stored: reopen a resolved conversation, feed its AI agent."""
    if conversation.status == "resolved":
        router = await Router.open(session, app_id=conversation.app_id)
        snap = await conversation_snapshot(session, conversation)
        decision = engine.reopen(router.snapshot, snap)
        await router.apply(conversation, decision, actor=("contact", conversation.contact_id))
    if conversation.status == "open" and conversation.assignee_type == "ai_agent":
        media = bool(message.attachments or message.location) and not message.text
        await jobs.enqueue(
            session,
            app_id=conversation.app_id,
            conversation_id=conversation.id,
            ai_agent_id=conversation.assignee_id or "",
            kind="media" if media else "text",
            message_id=message.id,
        )


async def status_changed(
    session: AsyncSession, *, conversation: Conversation, previous: str, actor: Actor
) -> None:
    """Resolving (or spam) frees capacity: the queue moves on.

    Reopening (``PATCH status=open``) a resolved conversation keeps its assignee; one with
    no assignee, or whose assignee was deleted, goes through the reopen rules, so it is not
    left open with nobody (or a deleted agent) on it.
    """
    if previous == "open" and conversation.assignee_type == "agent":
        router = await Router.open(session, app_id=conversation.app_id)
        await router.dequeue()
    elif previous in ("resolved", "spam") and conversation.status == "open":
        router = await Router.open(session, app_id=conversation.app_id)
        snap = router.snapshot
        kind, assignee_id = conversation.assignee_type, conversation.assignee_id
        stranded = (
            assignee_id is None
            or (kind == "agent" and snap.agent(assignee_id) is None)
            or (kind == "ai_agent" and assignee_id not in snap.ai_agents)
        )
        if stranded:
            decision = engine.reopen(snap, await conversation_snapshot(session, conversation))
            await router.apply(conversation, decision, actor=actor)


async def agent_changed(
    session: AsyncSession, *, agent: Agent, previous_status: str, previous_max: int | None
) -> None:
    """An agent's status or capacity changed: re-route on offline, then dequeue."""
    router = await Router.open(session, app_id=agent.app_id)
    if agent.status == "offline" and previous_status != "offline":
        await _reroute_agent(router, agent.id, respect_setting=True, detail=None)
    await router.dequeue()


async def _reroute_agent(
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


async def team_deleted(session: AsyncSession, *, team: Team) -> None:
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


async def agent_deleted(session: AsyncSession, *, agent: Agent) -> None:
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
    await _reroute_agent(router, agent.id, respect_setting=False, detail="agent_deleted")


async def ai_agent_deleted(session: AsyncSession, *, ai_agent: AIAgent) -> None:
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


# --- actions behind the routing endpoints and the turn queue -------------------------------


def _raise_refused(refused: engine.Refused) -> None:
    messages = {
        "not_assigned_to_ai_agent": "The conversation is not assigned to an AI agent.",
        "conversation_not_open": "The conversation is not open.",
        "unknown_agent": "No such agent.",
        "unknown_assignee": "No such assignee.",
        "unknown_team": "No such team.",
    }
    cls: type[ApiError] = Conflict if refused.http_status == 409 else Invalid
    raise cls(messages.get(refused.code, refused.code), code=refused.code)


async def assign(
    session: AsyncSession,
    *,
    conversation: Conversation,
    target: dict[str, Any],
    actor: Actor,
) -> None:
    """Manual assignment to an agent, team or AI agent, or a re-run of the rules."""
    router = await Router.open(session, app_id=conversation.app_id)
    snap = await conversation_snapshot(session, conversation)
    if target["type"] == "rules":
        result = engine.manual_assign(router.snapshot, snap, engine.RULES)
    else:
        if not target.get("id"):
            raise Invalid("assign_to.id is required.", code="validation_error")
        result = engine.manual_assign(
            router.snapshot, snap, engine.Target(type=target["type"], id=target["id"])
        )
    if isinstance(result, engine.Refused):
        _raise_refused(result)
        return
    await router.apply(conversation, result, actor=actor)
    await router.dequeue()


TAKE_RULES = {"takeover": engine.takeover, "claim": engine.claim}


async def take(
    session: AsyncSession,
    *,
    conversation: Conversation,
    agent_id: str,
    actor: Actor,
    how: Literal["takeover", "claim"],
) -> None:
    """An agent takes the conversation: ``takeover`` from its AI agent (409 when no AI agent
    is the assignee) or ``claim`` of an open one (notify-everybody mode)."""
    router = await Router.open(session, app_id=conversation.app_id)
    snap = await conversation_snapshot(session, conversation)
    result = TAKE_RULES[how](router.snapshot, snap, agent_id)
    if isinstance(result, engine.Refused):
        _raise_refused(result)
        return
    await router.apply(conversation, result, actor=actor)


async def ai_handoff(
    session: AsyncSession,
    *,
    conversation: Conversation,
    ai_agent_id: str,
    request: engine.HandoffRequest,
    detail: str | None = None,
) -> engine.Decision | None:
    """Apply an AI agent's handoff, hang-up or failure (routing.md §4); None if nothing changed."""
    router = await Router.open(session, app_id=conversation.app_id)
    snap = await conversation_snapshot(session, conversation)
    result = engine.handoff(router.snapshot, snap, request, ai_agent_id=ai_agent_id)
    if isinstance(result, engine.NoChange):
        return None
    if detail and detail != result.detail:
        # the caller's reason (a connector error, a hang-up) first, then how the rules placed it
        result = replace(result, detail="; ".join(d for d in (detail, result.detail) if d))
    await router.apply(conversation, result, actor=("ai_agent", ai_agent_id))
    return result


async def waiting_position(session: AsyncSession, *, conversation: Conversation) -> int | None:
    """1-based place in the app's queue, or None when not waiting."""
    if conversation.status != "waiting" or conversation.queued_at is None:
        return None
    ahead = await session.scalar(
        select(func.count())
        .select_from(Conversation)
        .where(
            Conversation.app_id == conversation.app_id,
            Conversation.status == "waiting",
            Conversation.queued_at < conversation.queued_at,
        )
    )
    return int(ahead or 0) + 1
