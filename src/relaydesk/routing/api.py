"""``/api/v1/routing`` and the assign / takeover / claim actions on conversations."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from relaydesk.actions import routing as actions
from relaydesk.conversations.schemas import AssignIn, ConversationOut, TakeoverIn
from relaydesk.deps import Admin, BrokerDep, SessionDep, Staff
from relaydesk.errors import error_responses
from relaydesk.routing.models import RoutingSettings
from relaydesk.routing.schemas import AIRouting, ChannelRule, RoutingIn, RoutingOut

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


@router.put("/routing", response_model=RoutingOut)
async def put_routing(
    body: RoutingIn, session: SessionDep, principal: Admin, broker: BrokerDep
) -> RoutingOut:
    """Replace the conversation rules (admins). Unknown ids and an empty AI selection → 422."""
    row = await actions.replace_rules(session, broker, app_id=principal.app_id or "", body=body)
    return _out(row)


@router.post(
    "/conversations/{conversation_id}/assign",
    response_model=ConversationOut,
    responses=error_responses(409),
)
async def assign(
    conversation_id: str, body: AssignIn, session: SessionDep, principal: Staff, broker: BrokerDep
) -> ConversationOut:
    """Assign to an agent, a team or an AI agent, or re-run the rules (reason ``manual``)."""
    return await actions.assign(
        session,
        broker,
        principal=principal,
        conversation_id=conversation_id,
        target=body.assign_to.model_dump(),
    )


def _take_endpoint(how: Literal["takeover", "claim"], doc: str) -> None:
    """``POST …/takeover`` and ``…/claim``: the same call, another precondition."""

    async def endpoint(
        conversation_id: str,
        session: SessionDep,
        principal: Staff,
        broker: BrokerDep,
        body: TakeoverIn | None = None,
    ) -> ConversationOut:
        return await actions.take(
            session,
            broker,
            principal=principal,
            conversation_id=conversation_id,
            agent_id=body.agent_id if body else None,
            how=how,
        )

    endpoint.__doc__ = doc
    endpoint.__name__ = how
    path = f"/conversations/{{conversation_id}}/{how}"
    router.post(path, response_model=ConversationOut, name=how, responses=error_responses(409))(
        endpoint
    )


_take_endpoint(
    "takeover", "Take over from the AI agent; 409 ``not_assigned_to_ai_agent`` otherwise."
)
_take_endpoint("claim", "Claim an open conversation (notify-everybody mode).")
