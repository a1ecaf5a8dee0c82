"""Routing operations: route a new conversation, react to messages and status changes,
manual assignment, takeover and claim, AI handoffs, the queue position.

Each operation locks the app's routing settings (see ``snapshot.py``), asks the pure engine
and applies its decisions (``apply.py``) in the caller's transaction, and returns what it
applied; the action that owns the transaction starts the AI turns those decisions ask for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.agents.models import Agent
from relaydesk.ai_agents.models import AIAgent
from relaydesk.conversations.models import Conversation
from relaydesk.errors import ApiError, Conflict, Invalid
from relaydesk.routing import engine
from relaydesk.routing.apply import SYSTEM, Actor, Applied, Router
from relaydesk.routing.cleanup import agent_deleted, ai_agent_deleted, reroute_agent, team_deleted
from relaydesk.routing.models import RoutingSettings
from relaydesk.routing.schemas import (
    AIRouting,
    AutoResolve,
    ChannelRule,
    Csat,
    RoutingIn,
    RoutingOut,
)
from relaydesk.routing.snapshot import conversation_snapshot, conversation_view, lock_settings
from relaydesk.schemas import BusinessHours
from relaydesk.teams.models import Team

__all__ = [
    "SYSTEM",
    "Actor",
    "Applied",
    "agent_deleted",
    "ai_agent_deleted",
    "lock_settings",
    "team_deleted",
]


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
) -> tuple[list[Applied], Greeting | None]:
    """Route a conversation that was just created (routing.md §2, §3).

    Returns what was applied and the welcome or away message to post, if the app has one
    for the outcome (an AI agent's welcome is its own turn instead).
    """
    router = await Router.open(session, app_id=conversation.app_id)
    target = _target(explicit)
    if target is not None:
        await _check_target_exists(router.snapshot, target)
    decision = engine.route_new(router.snapshot, conversation_view(conversation), explicit=target)
    kind = engine.greeting(router.snapshot, decision)
    await router.apply(conversation, decision, actor=actor)
    settings = router.settings
    text = {"welcome_message": settings.welcome_message, "away_message": settings.away_message}
    message = text.get(kind)
    return router.applied, Greeting(kind=kind, text=message) if message else None


@dataclass(frozen=True)
class Greeting:
    """The system message routing.md §3 posts on a new conversation."""

    kind: str  # "welcome_message" or "away_message"
    text: str


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


async def contact_wrote(session: AsyncSession, *, conversation: Conversation) -> list[Applied]:
    """A contact wrote into the conversation: a resolved one reopens by the rules."""
    if conversation.status != "resolved":
        return []
    router = await Router.open(session, app_id=conversation.app_id)
    snap = await conversation_snapshot(session, conversation)
    decision = engine.reopen(router.snapshot, snap)
    await router.apply(conversation, decision, actor=("contact", conversation.contact_id))
    return router.applied


async def status_changed(
    session: AsyncSession, *, conversation: Conversation, previous: str, actor: Actor
) -> list[Applied]:
    """Resolving (or spam) frees capacity: the queue moves on.

    Reopening (``PATCH status=open``) a resolved conversation keeps its assignee; one with
    no assignee, or whose assignee was deleted, goes through the reopen rules, so it is not
    left open with nobody (or a deleted agent) on it.
    """
    if previous == "open" and conversation.assignee_type == "agent":
        router = await Router.open(session, app_id=conversation.app_id)
        await router.dequeue()
        return router.applied
    if previous in ("resolved", "spam") and conversation.status == "open":
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
        return router.applied
    return []


async def agent_changed(
    session: AsyncSession, *, agent: Agent, previous_status: str
) -> list[Applied]:
    """An agent's status or capacity changed: re-route on offline, then dequeue."""
    router = await Router.open(session, app_id=agent.app_id)
    if agent.status == "offline" and previous_status != "offline":
        await reroute_agent(router, agent.id, respect_setting=True, detail=None)
    await router.dequeue()
    return router.applied


# --- the rules themselves ------------------------------------------------------------------


async def validate_rules(session: AsyncSession, *, app_id: str, body: RoutingIn) -> None:
    """422 ``invalid_routing`` naming every unknown id and contradiction in the rules."""
    problems: list[str] = []

    async def known(model: type, ids: set[str]) -> set[str]:
        if not ids:
            return set()
        query = select(model.id).where(model.app_id == app_id, model.id.in_(ids))  # type: ignore[attr-defined]
        if hasattr(model, "deleted_at"):
            query = query.where(model.deleted_at.is_(None))  # type: ignore[attr-defined]
        return set(await session.scalars(query))

    wanted: dict[str, set[str]] = {"agent": set(), "team": set(), "ai_agent": set()}
    if body.default_agent_id:
        wanted["agent"].add(body.default_agent_id)
    wanted["ai_agent"].update(body.ai_routing.ai_agent_ids)
    for rule in body.channel_rules:
        wanted[rule.assign_to.type].add(rule.assign_to.id)
    found = {
        "agent": await known(Agent, wanted["agent"]),
        "team": await known(Team, wanted["team"]),
        "ai_agent": await known(AIAgent, wanted["ai_agent"]),
    }
    for kind, ids in wanted.items():
        for i in sorted(ids - found[kind]):
            problems.append(f"unknown {kind} id {i}")
    channels = [r.channel for r in body.channel_rules]
    for c in sorted({c for c in channels if channels.count(c) > 1}):
        problems.append(f"more than one rule for channel {c}")
    if body.ai_routing.enabled and not body.ai_routing.ai_agent_ids:
        problems.append("ai_routing.enabled needs at least one AI agent")
    if len(set(body.ai_routing.ai_agent_ids)) != len(body.ai_routing.ai_agent_ids):
        problems.append("ai_routing.ai_agent_ids has duplicates")
    if problems:
        raise Invalid("; ".join(problems) + ".", code="invalid_routing", details=problems)


def set_rules(row: RoutingSettings, body: RoutingIn) -> None:
    """Write validated rules into the (locked) settings row."""
    row.human_routing = body.human_routing
    row.default_agent_id = body.default_agent_id
    row.ai_enabled = body.ai_routing.enabled
    row.ai_agent_ids = list(body.ai_routing.ai_agent_ids)
    row.channel_rules = [r.model_dump() for r in body.channel_rules]
    row.welcome_message = body.welcome_message or None
    row.away_message = body.away_message or None
    row.reassign_on_offline = body.reassign_on_offline
    row.auto_resolve = body.auto_resolve.model_dump() if body.auto_resolve else None
    row.csat = body.csat.model_dump() if body.csat and body.csat.enabled else None
    hours = body.business_hours
    row.business_hours = hours.model_dump(mode="json") if hours else None
    row.outside_hours = body.outside_hours


# --- behind the routing endpoints and the turn queue ---------------------------------------


async def dequeue_waiting(session: AsyncSession, *, app_id: str) -> list[Applied]:
    """Assign what waits and the rules now allow (new hours or rules, a desk that opened),
    oldest first, under the app's lock."""
    router = await Router.open(session, app_id=app_id)
    await router.dequeue()
    return router.applied


async def hand_new_conversations_to(
    session: AsyncSession, *, app_id: str, ai_agent_id: str
) -> None:
    """Turn AI routing on with this AI agent alone (the CLI import and the demo bot)."""
    row = await lock_settings(session, app_id=app_id)
    row.ai_enabled = True
    row.ai_agent_ids = [ai_agent_id]


def _refused(refused: engine.Refused) -> ApiError:
    messages = {
        "not_assigned_to_ai_agent": "The conversation is not assigned to an AI agent.",
        "conversation_not_open": "The conversation is not open.",
        "unknown_agent": "No such agent.",
        "unknown_assignee": "No such assignee.",
        "unknown_team": "No such team.",
    }
    cls: type[ApiError] = Conflict if refused.http_status == 409 else Invalid
    return cls(messages.get(refused.code, refused.code), code=refused.code)


async def assign(
    session: AsyncSession,
    *,
    conversation: Conversation,
    target: dict[str, Any],
    actor: Actor,
) -> list[Applied]:
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
        raise _refused(result)
    await router.apply(conversation, result, actor=actor)
    await router.dequeue()
    return router.applied


TAKE_RULES = {"takeover": engine.takeover, "claim": engine.claim}


async def take(
    session: AsyncSession,
    *,
    conversation: Conversation,
    agent_id: str,
    actor: Actor,
    how: Literal["takeover", "claim"],
) -> list[Applied]:
    """An agent takes the conversation: ``takeover`` from its AI agent (409 when no AI agent
    is the assignee) or ``claim`` of an open one (notify-everybody mode)."""
    router = await Router.open(session, app_id=conversation.app_id)
    snap = await conversation_snapshot(session, conversation)
    result = TAKE_RULES[how](router.snapshot, snap, agent_id)
    if isinstance(result, engine.Refused):
        raise _refused(result)
    await router.apply(conversation, result, actor=actor)
    return router.applied


async def ai_handoff(
    session: AsyncSession,
    *,
    conversation: Conversation,
    ai_agent_id: str,
    request: engine.HandoffRequest,
    detail: str | None = None,
) -> list[Applied]:
    """Apply an AI agent's handoff, hang-up or failure (routing.md §4); [] if nothing changed."""
    router = await Router.open(session, app_id=conversation.app_id)
    snap = await conversation_snapshot(session, conversation)
    result = engine.handoff(router.snapshot, snap, request, ai_agent_id=ai_agent_id)
    if isinstance(result, engine.NoChange):
        return []
    if detail and detail != result.detail:
        # the caller's reason (a connector error, a hang-up) first, then how the rules placed it
        result = replace(result, detail="; ".join(d for d in (detail, result.detail) if d))
    await router.apply(conversation, result, actor=("ai_agent", ai_agent_id))
    return router.applied


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


def out(row: RoutingSettings) -> RoutingOut:
    return RoutingOut(
        human_routing=row.human_routing,
        default_agent_id=row.default_agent_id,
        ai_routing=AIRouting(enabled=row.ai_enabled, ai_agent_ids=list(row.ai_agent_ids or [])),
        channel_rules=[ChannelRule.model_validate(r) for r in row.channel_rules or []],
        welcome_message=row.welcome_message,
        away_message=row.away_message,
        reassign_on_offline=row.reassign_on_offline,
        auto_resolve=AutoResolve.model_validate(row.auto_resolve) if row.auto_resolve else None,
        csat=Csat.model_validate(row.csat) if row.csat else None,
        business_hours=BusinessHours.model_validate(row.business_hours)
        if row.business_hours
        else None,
        outside_hours=row.outside_hours or "assign",
    )
