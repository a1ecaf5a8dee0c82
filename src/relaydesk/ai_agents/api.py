"""``/api/v1/ai-agents``."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Query, Response

from relaydesk.actions import people as actions
from relaydesk.ai_agents import service, usage
from relaydesk.ai_agents.schemas import AIAgentCreate, AIAgentOut, AIAgentUpdate
from relaydesk.deps import (
    ActorDep,
    Admin,
    BrokerDep,
    ReadSessionDep,
    SecretBoxDep,
    SessionDep,
    Staff,
)
from relaydesk.errors import Invalid, error_responses

router = APIRouter(prefix="/api/v1/ai-agents", tags=["ai agents"])


@router.post("", status_code=201, response_model=AIAgentOut)
async def create_ai_agent(
    body: AIAgentCreate,
    session: SessionDep,
    principal: Admin,
    box: SecretBoxDep,
    broker: BrokerDep,
    actor: ActorDep,
) -> AIAgentOut:
    """Add an AI agent; the provider checks the configuration first (422 with its reason)."""
    return await actions.create_ai_agent(
        session,
        broker,
        app_id=principal.app_id or "",
        box=box,
        fields=body.model_dump(),
        actor=actor,
    )


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


@router.patch("/{ai_agent_id}", response_model=AIAgentOut, responses=error_responses(409))
async def update_ai_agent(
    ai_agent_id: str,
    body: AIAgentUpdate,
    session: SessionDep,
    principal: Admin,
    read: ReadSessionDep,
    box: SecretBoxDep,
    broker: BrokerDep,
    actor: ActorDep,
) -> AIAgentOut:
    """Change an AI agent; secrets sent back as "****" stay as they are.

    A new config is checked with the provider from a read-only copy first, so no write
    transaction is open while the provider answers.
    """
    app_id = principal.app_id or ""
    changes = body.model_dump(exclude_unset=True)
    config = None
    if changes.get("config") is not None:
        current = await service.get(read, app_id=app_id, ai_agent_id=ai_agent_id)
        await read.close()
        config = await service.check_config(ai_agent=current, box=box, config=changes["config"])
    ai_agent = await service.get(session, app_id=app_id, ai_agent_id=ai_agent_id)
    return await actions.update_ai_agent(
        session, broker, ai_agent=ai_agent, box=box, changes=changes, config=config, actor=actor
    )


@router.delete("/{ai_agent_id}", status_code=204)
async def delete_ai_agent(
    ai_agent_id: str,
    session: SessionDep,
    principal: Admin,
    box: SecretBoxDep,
    broker: BrokerDep,
    actor: ActorDep,
) -> Response:
    """Remove an AI agent; routing forgets it and its open conversations go to the humans."""
    ai_agent = await service.get(session, app_id=principal.app_id or "", ai_agent_id=ai_agent_id)
    await actions.delete_ai_agent(session, broker, ai_agent=ai_agent, box=box, actor=actor)
    return Response(status_code=204)


@router.get("/{ai_agent_id}/usage", response_model=usage.UsageOut)
async def ai_agent_usage(
    ai_agent_id: str,
    session: ReadSessionDep,
    principal: Staff,
    start: datetime | None = Query(default=None, alias="from"),
    end: datetime | None = Query(default=None, alias="to"),
) -> usage.UsageOut:
    """Turns answered in ``[from, to)`` and the language-model tokens they used."""
    start, end = (t.replace(tzinfo=UTC) if t and t.tzinfo is None else t for t in (start, end))
    if start is not None and end is not None and start > end:
        raise Invalid("from must not be after to.", code="invalid_range")
    app_id = principal.app_id or ""
    await service.get(session, app_id=app_id, ai_agent_id=ai_agent_id)
    return await usage.summed(session, app_id=app_id, ai_agent_id=ai_agent_id, start=start, end=end)
