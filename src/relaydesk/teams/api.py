"""``/api/v1/teams``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from relaydesk.actions import people as actions
from relaydesk.deps import ActorDep, Admin, BrokerDep, SessionDep, Staff
from relaydesk.schemas import BusinessHours
from relaydesk.teams import service
from relaydesk.teams.schemas import TeamCreate, TeamOut, TeamUpdate

router = APIRouter(prefix="/api/v1/teams", tags=["teams"])


@router.post("", status_code=201, response_model=TeamOut)
async def create_team(
    body: TeamCreate, session: SessionDep, principal: Admin, broker: BrokerDep, actor: ActorDep
) -> TeamOut:
    return await actions.create_team(
        session,
        broker,
        app_id=principal.app_id or "",
        name=body.name,
        member_ids=body.member_ids,
        actor=actor,
        business_hours=_hours(body.business_hours),
    )


@router.get("")
async def list_teams(session: SessionDep, principal: Staff) -> dict[str, list[TeamOut]]:
    teams = await service.list(session, app_id=principal.app_id or "")
    return {"items": [await service.out(session, t) for t in teams]}


@router.get("/{team_id}", response_model=TeamOut)
async def get_team(team_id: str, session: SessionDep, principal: Staff) -> TeamOut:
    team = await service.get(session, app_id=principal.app_id or "", team_id=team_id)
    return await service.out(session, team)


@router.patch("/{team_id}", response_model=TeamOut)
async def update_team(
    team_id: str,
    body: TeamUpdate,
    session: SessionDep,
    principal: Admin,
    broker: BrokerDep,
    actor: ActorDep,
) -> TeamOut:
    team = await service.get(session, app_id=principal.app_id or "", team_id=team_id)
    given = "business_hours" in body.model_fields_set
    return await actions.update_team(
        session,
        broker,
        team=team,
        name=body.name,
        member_ids=body.member_ids,
        actor=actor,
        business_hours=_hours(body.business_hours) if given else ...,
    )


@router.delete("/{team_id}", status_code=204)
async def delete_team(
    team_id: str, session: SessionDep, principal: Admin, broker: BrokerDep, actor: ActorDep
) -> Response:
    team = await service.get(session, app_id=principal.app_id or "", team_id=team_id)
    await actions.delete_team(session, broker, team=team, actor=actor)
    return Response(status_code=204)


def _hours(hours: BusinessHours | None) -> dict[str, Any] | None:
    return hours.model_dump(mode="json") if hours is not None else None
