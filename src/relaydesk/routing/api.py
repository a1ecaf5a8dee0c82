"""``/api/v1/routing`` and the assign / takeover / claim actions on conversations."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from sqlalchemy import select

from relaydesk.agents.models import Agent
from relaydesk.ai_agents.models import AIAgent
from relaydesk.conversations import service as conversations
from relaydesk.conversations.api import visible_conversation
from relaydesk.conversations.models import Conversation
from relaydesk.conversations.schemas import AssignIn, ConversationOut, TakeoverIn
from relaydesk.deps import Admin, BrokerDep, Principal, SessionDep, Staff
from relaydesk.errors import Invalid
from relaydesk.events import commit
from relaydesk.routing import service
from relaydesk.routing.models import RoutingSettings
from relaydesk.routing.schemas import AIRouting, ChannelRule, RoutingIn, RoutingOut
from relaydesk.teams.models import Team

router = APIRouter(prefix="/api/v1", tags=["routing"])


def _out(row: RoutingSettings) -> RoutingOut:
    return RoutingOut(
        human_routing=row.human_routing,
        default_agent_id=row.default_agent_id,
        ai_routing=AIRouting(enabled=row.ai_enabled, ai_agent_ids=list(row.ai_agent_ids or [])),
        channel_rules=[ChannelRule.model_validate(r) for r in row.channel_rules or []],
        welcome_message=row.welcome_message,
        away_message=row.away_message,
        reassign_on_offline=row.reassign_on_offline,
    )


@router.get("/routing", response_model=RoutingOut)
async def get_routing(session: SessionDep, principal: Staff) -> RoutingOut:
    """The app's conversation rules."""
    row = await session.get(RoutingSettings, principal.app_id)
    return _out(
        row
        or RoutingSettings(
            app_id=principal.app_id,
            ai_agent_ids=[],
            channel_rules=[],
            human_routing="automatic",
            ai_enabled=False,
            reassign_on_offline=False,
        )
    )


async def _validate(session: SessionDep, app_id: str, body: RoutingIn) -> None:
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


@router.put("/routing", response_model=RoutingOut)
async def put_routing(
    body: RoutingIn, session: SessionDep, principal: Admin, broker: BrokerDep
) -> RoutingOut:
    """Replace the conversation rules (admins). Unknown ids and an empty AI selection → 422."""
    app_id = principal.app_id or ""
    # lock first: an agent / team / AI agent deleted meanwhile cannot slip into the rules
    row = await service.lock_settings(session, app_id=app_id)
    await _validate(session, app_id, body)
    row.human_routing = body.human_routing
    row.default_agent_id = body.default_agent_id
    row.ai_enabled = body.ai_routing.enabled
    row.ai_agent_ids = list(body.ai_routing.ai_agent_ids)
    row.channel_rules = [r.model_dump() for r in body.channel_rules]
    row.welcome_message = body.welcome_message or None
    row.away_message = body.away_message or None
    row.reassign_on_offline = body.reassign_on_offline
    await session.flush()
    result = _out(row)
    await commit(session, broker)
    return result


async def _locked_conversation(
    session: SessionDep, principal: Principal, conversation_id: str
) -> Conversation:
    """The conversation, locked, after the app's routing row.

    Lock order: routing settings first, then conversations. The routing service locks
    conversations (the queue, an offline agent's conversations) while it holds the settings
    row, so taking the conversation first here could deadlock against it on PostgreSQL.
    """
    await service.lock_settings(session, app_id=principal.app_id or "")
    return await visible_conversation(session, principal, conversation_id, for_update=True)


def _acting_agent(principal: Principal, agent_id: str | None) -> str:
    if principal.kind == "agent":
        if agent_id not in (None, principal.id) and not principal.is_admin:
            raise Invalid("An agent acts for themselves.", code="invalid_agent")
        return agent_id or principal.id or ""
    if not agent_id:
        raise Invalid("agent_id is required with an API key.", code="agent_id_required")
    return agent_id


@router.post("/conversations/{conversation_id}/assign", response_model=ConversationOut)
async def assign(
    conversation_id: str, body: AssignIn, session: SessionDep, principal: Staff, broker: BrokerDep
) -> ConversationOut:
    """Assign to an agent, a team or an AI agent, or re-run the rules (reason ``manual``)."""
    conversation = await _locked_conversation(session, principal, conversation_id)
    await service.assign(
        session,
        conversation=conversation,
        target=body.assign_to.model_dump(),
        actor=principal.actor,
    )
    result = await conversations.out(session, conversation)
    await commit(session, broker)
    return result


async def _take(
    how: Literal["takeover", "claim"],
    conversation_id: str,
    session: SessionDep,
    principal: Principal,
    broker: BrokerDep,
    body: TakeoverIn | None,
) -> ConversationOut:
    conversation = await _locked_conversation(session, principal, conversation_id)
    agent_id = _acting_agent(principal, body.agent_id if body else None)
    await service.take(
        session, conversation=conversation, agent_id=agent_id, actor=principal.actor, how=how
    )
    result = await conversations.out(session, conversation)
    await commit(session, broker)
    return result


@router.post("/conversations/{conversation_id}/takeover", response_model=ConversationOut)
async def takeover(
    conversation_id: str,
    session: SessionDep,
    principal: Staff,
    broker: BrokerDep,
    body: TakeoverIn | None = None,
) -> ConversationOut:
    """Take over from the AI agent; 409 ``not_assigned_to_ai_agent`` otherwise."""
    return await _take("takeover", conversation_id, session, principal, broker, body)


@router.post("/conversations/{conversation_id}/claim", response_model=ConversationOut)
async def claim(
    conversation_id: str,
    session: SessionDep,
    principal: Staff,
    broker: BrokerDep,
    body: TakeoverIn | None = None,
) -> ConversationOut:
    """Claim an open conversation (notify-everybody mode)."""
    return await _take("claim", conversation_id, session, principal, broker, body)
