"""Routing operations: route a new conversation, react to messages and status changes,
manual assignment, takeover and claim, AI handoffs, the queue position.

Each operation locks the app's routing settings (see ``snapshot.py``), asks the pure engine
and applies its decisions (``apply.py``) in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.agents.models import Agent
from relaydesk.ai_agents import jobs
from relaydesk.conversations.models import Conversation
from relaydesk.errors import ApiError, Conflict, Invalid
from relaydesk.messages.models import Message
from relaydesk.routing import engine
from relaydesk.routing.apply import SYSTEM, Actor, Router, greet
from relaydesk.routing.cleanup import agent_deleted, ai_agent_deleted, reroute_agent, team_deleted
from relaydesk.routing.snapshot import conversation_snapshot, conversation_view, lock_settings

__all__ = [
    "SYSTEM",
    "Actor",
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
) -> None:
    """Route a conversation that was just created (routing.md §2, §3)."""
    router = await Router.open(session, app_id=conversation.app_id)
    target = _target(explicit)
    if target is not None:
        await _check_target_exists(router.snapshot, target)
    decision = engine.route_new(router.snapshot, conversation_view(conversation), explicit=target)
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
        await reroute_agent(router, agent.id, respect_setting=True, detail=None)
    await router.dequeue()


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
