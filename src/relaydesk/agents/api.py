"""``/api/v1/agents``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from relaydesk.actions import people as actions
from relaydesk.agents import service
from relaydesk.agents.schemas import AgentCreate, AgentOut, AgentUpdate, StatusUpdate
from relaydesk.deps import ActorDep, Admin, BrokerDep, CurrentAgent, SessionDep, Staff, bearer_token
from relaydesk.errors import Forbidden, error_responses

router = APIRouter(prefix="/api/v1/agents", tags=["agents"])


@router.post("", status_code=201, response_model=AgentOut, responses=error_responses(409))
async def create_agent(
    body: AgentCreate, session: SessionDep, principal: Admin, broker: BrokerDep, actor: ActorDep
) -> AgentOut:
    """Invite an agent (admins)."""
    agent = await actions.create_agent(
        session, broker, app_id=principal.app_id or "", fields=body.model_dump(), actor=actor
    )
    return AgentOut.model_validate(agent)


@router.get("")
async def list_agents(session: SessionDep, principal: Staff) -> dict[str, list[AgentOut]]:
    agents = await service.list(session, app_id=principal.app_id or "")
    return {"items": [AgentOut.model_validate(a) for a in agents]}


@router.put("/me/status", response_model=AgentOut)
async def set_my_status(
    body: StatusUpdate, session: SessionDep, agent: CurrentAgent, broker: BrokerDep, actor: ActorDep
) -> AgentOut:
    """The calling agent goes online, away or offline."""
    changes = {"status": body.status}
    await actions.update_agent(session, broker, agent=agent, changes=changes, actor=actor)
    return AgentOut.model_validate(agent)


@router.get("/me", response_model=AgentOut)
async def get_me(agent: CurrentAgent) -> AgentOut:
    return AgentOut.model_validate(agent)


@router.get("/{agent_id}", response_model=AgentOut)
async def get_agent(agent_id: str, session: SessionDep, principal: Staff) -> AgentOut:
    return AgentOut.model_validate(
        await service.get(session, app_id=principal.app_id or "", agent_id=agent_id)
    )


@router.patch("/{agent_id}", response_model=AgentOut)
async def update_agent(
    agent_id: str,
    body: AgentUpdate,
    request: Request,
    session: SessionDep,
    principal: Staff,
    broker: BrokerDep,
    actor: ActorDep,
) -> AgentOut:
    """Admins change anyone; an agent may change their own name, status and password.

    Changing one's own password needs ``current_password`` (403
    ``current_password_invalid``); a new password ends every other session of the agent.
    """
    agent = await service.get(session, app_id=principal.app_id or "", agent_id=agent_id)
    changes = body.model_dump(exclude_unset=True)
    if not principal.is_admin:
        if principal.id != agent.id:
            raise Forbidden("Only admins may change other agents.", code="admin_required")
        if {"role", "max_concurrent"} & changes.keys():
            raise Forbidden("Only admins may change roles and capacity.", code="admin_required")
    own = principal.kind == "agent" and principal.id == agent.id
    own_token = bearer_token(request) if own else None
    await actions.update_agent(
        session, broker, agent=agent, changes=changes, actor=actor, own_token=own_token
    )
    return AgentOut.model_validate(agent)


@router.delete("/{agent_id}", status_code=204)
async def delete_agent(
    agent_id: str, session: SessionDep, principal: Admin, broker: BrokerDep, actor: ActorDep
) -> Response:
    """Remove an agent (admins); their open conversations follow the human rules."""
    agent = await service.get(session, app_id=principal.app_id or "", agent_id=agent_id)
    await actions.delete_agent(session, broker, agent=agent, actor=actor)
    return Response(status_code=204)
