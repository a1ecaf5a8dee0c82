"""``/api/v1/auth``: agent login and logout."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from relaydesk.actions import access
from relaydesk.agents.schemas import AgentOut, LoginIn, LoginOut
from relaydesk.deps import BrokerDep, CurrentAgent, SessionDep, SettingsDep, bearer_token
from relaydesk.errors import error_responses
from relaydesk.ratelimit import client_ip

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login", response_model=LoginOut, responses=error_responses(401, 429))
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
    await request.app.state.limiter.check("login_address", ip)  # many emails, one address
    agent, token = await access.login(
        session, broker, settings=settings, email=body.email, password=body.password
    )
    return LoginOut(token=token, agent=AgentOut.model_validate(agent))


@router.post("/logout", status_code=204)
async def logout(
    request: Request, session: SessionDep, agent: CurrentAgent, broker: BrokerDep
) -> Response:
    """Revoke the token used for this call."""
    await access.logout(session, broker, app_id=agent.app_id, token=bearer_token(request) or "")
    return Response(status_code=204)
