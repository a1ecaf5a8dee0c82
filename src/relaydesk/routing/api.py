"""``/api/v1/routing`` and the assign / takeover / claim actions on conversations."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from relaydesk import clock
from relaydesk.actions import routing as actions
from relaydesk.conversations.schemas import AssignIn, ConversationOut, TakeoverIn
from relaydesk.deps import ActorDep, Admin, AppPrincipal, BrokerDep, SessionDep, Staff
from relaydesk.errors import error_responses
from relaydesk.routing import hours, service
from relaydesk.routing.models import RoutingSettings
from relaydesk.routing.schemas import RoutingIn, RoutingOut
from relaydesk.schemas import Out, Timestamp
from relaydesk.teams import service as teams

router = APIRouter(prefix="/api/v1", tags=["routing"])


@router.get("/routing", response_model=RoutingOut)
async def get_routing(session: SessionDep, principal: Staff) -> RoutingOut:
    """The app's conversation rules."""
    row = await session.get(RoutingSettings, principal.app_id)
    return service.out(
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
    body: RoutingIn, session: SessionDep, principal: Admin, broker: BrokerDep, actor: ActorDep
) -> RoutingOut:
    """Replace the conversation rules (admins). Unknown ids and an empty AI selection → 422."""
    app_id = principal.app_id or ""
    row = await actions.replace_rules(session, broker, app_id=app_id, body=body, actor=actor)
    return service.out(row)


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


class HoursStatus(Out):
    open: bool
    next_open_at: Timestamp | None = None  # null: never (or open around the clock)
    next_close_at: Timestamp | None = None
    timezone: str | None = None  # the hours' timezone; null without hours


@router.get("/business-hours/status", response_model=HoursStatus, responses=error_responses(404))
async def business_hours_status(
    session: SessionDep,
    principal: AppPrincipal,
    team_id: str | None = Query(default=None, max_length=40),
) -> HoursStatus:
    """Open now, and when that changes: the team's own hours if it has them, else the app's
    (the widget shows "we'll be back …" from it)."""
    raw = None
    if team_id is not None:
        team = await teams.get(session, app_id=principal.app_id or "", team_id=team_id)
        raw = team.business_hours
    if raw is None:
        rules = await session.get(RoutingSettings, principal.app_id)
        raw = rules.business_hours if rules is not None else None
    if raw is None:
        return HoursStatus(open=True)
    now = clock.now()
    found = hours.hours_of(raw)
    next_open, next_close = found.next_change(now)
    return HoursStatus(
        open=found.is_open(now),
        next_open_at=next_open,
        next_close_at=next_close,
        timezone=raw["timezone"],
    )
