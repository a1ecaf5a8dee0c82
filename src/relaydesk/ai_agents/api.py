"""``/api/v1/ai-agents``."""

from __future__ import annotations

from fastapi import APIRouter, Response

from relaydesk.ai_agents import service
from relaydesk.ai_agents.schemas import AIAgentCreate, AIAgentOut, AIAgentUpdate
from relaydesk.deps import Admin, BrokerDep, SecretBoxDep, SessionDep, Staff
from relaydesk.events import commit

router = APIRouter(prefix="/api/v1/ai-agents", tags=["ai agents"])


@router.post("", status_code=201, response_model=AIAgentOut)
async def create_ai_agent(
    body: AIAgentCreate, session: SessionDep, principal: Admin, box: SecretBoxDep, broker: BrokerDep
) -> AIAgentOut:
    """Add an AI agent; the provider checks the configuration first (422 with its reason)."""
    ai_agent = await service.create(
        session, app_id=principal.app_id or "", box=box, **body.model_dump()
    )
    result = service.out(ai_agent, box)
    await commit(session, broker)
    return result


@router.get("")
async def list_ai_agents(
    session: SessionDep, principal: Staff, box: SecretBoxDep
) -> dict[str, list[AIAgentOut]]:
    rows = await service.list(session, app_id=principal.app_id or "")
    return {"items": [service.out(a, box) for a in rows]}


@router.get("/{ai_agent_id}", response_model=AIAgentOut)
async def get_ai_agent(
    ai_agent_id: str, session: SessionDep, principal: Staff, box: SecretBoxDep
) -> AIAgentOut:
    ai_agent = await service.get(session, app_id=principal.app_id or "", ai_agent_id=ai_agent_id)
    return service.out(ai_agent, box)


@router.patch("/{ai_agent_id}", response_model=AIAgentOut)
async def update_ai_agent(
    ai_agent_id: str,
    body: AIAgentUpdate,
    session: SessionDep,
    principal: Admin,
    box: SecretBoxDep,
    broker: BrokerDep,
) -> AIAgentOut:
    """Change an AI agent; secrets sent back as "****" stay as they are."""
    ai_agent = await service.get(session, app_id=principal.app_id or "", ai_agent_id=ai_agent_id)
    await service.update(
        session, ai_agent=ai_agent, box=box, changes=body.model_dump(exclude_unset=True)
    )
    result = service.out(ai_agent, box)
    await commit(session, broker)
    return result


@router.delete("/{ai_agent_id}", status_code=204)
async def delete_ai_agent(
    ai_agent_id: str, session: SessionDep, principal: Admin, broker: BrokerDep
) -> Response:
    """Remove an AI agent; routing forgets it and its open conversations go to the humans."""
    ai_agent = await service.get(session, app_id=principal.app_id or "", ai_agent_id=ai_agent_id)
    await service.delete(session, ai_agent=ai_agent)
    await commit(session, broker)
    return Response(status_code=204)
