"""``/api/v1/auth``: agent login and logout."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from relaydesk.agents.models import Agent
from relaydesk.agents.schemas import AgentOut, LoginIn, LoginOut
from relaydesk.auth import service
from relaydesk.deps import BrokerDep, CurrentAgent, SessionDep, SettingsDep, bearer_token
from relaydesk.errors import Unauthorized
from relaydesk.events import commit, emit_revoked
from relaydesk.ratelimit import client_ip
from relaydesk.security import hash_token, verify_password

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login", response_model=LoginOut)
async def login(
    body: LoginIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    broker: BrokerDep,
) -> LoginOut:
    """Exchange an agent's email and password for a bearer token.

    An email may exist in several apps; the password picks the account.
    """
    ip = client_ip(request)
    await request.app.state.limiter.check("login", f"{ip}:{body.email.lower()}")
    candidates = await session.scalars(
        select(Agent).where(Agent.email == body.email.lower(), Agent.deleted_at.is_(None))
    )
    for agent in candidates:
        if verify_password(agent.password_hash, body.password):
            token = await service.issue(
                session,
                app_id=agent.app_id,
                principal_type="agent",
                principal_id=agent.id,
                ttl_s=settings.token_ttl_s,
            )
            await commit(session, broker)
            return LoginOut(token=token, agent=AgentOut.model_validate(agent))
    raise Unauthorized("Wrong email or password.", code="invalid_credentials")


@router.post("/logout", status_code=204)
async def logout(
    request: Request, session: SessionDep, agent: CurrentAgent, broker: BrokerDep
) -> Response:
    """Revoke the token used for this call."""
    token = bearer_token(request) or ""
    await service.revoke(session, token=token)
    emit_revoked(session, app_id=agent.app_id, token_hash=hash_token(token))
    await commit(session, broker)
    return Response(status_code=204)
