"""FastAPI dependencies: the session, the settings, the services on app.state, the caller."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.agents.models import Agent
from relaydesk.apps.models import ApiKey, App
from relaydesk.audit.schemas import Actor
from relaydesk.auth.cache import PrincipalCache
from relaydesk.auth.models import AccessToken
from relaydesk.auth.principal import Principal
from relaydesk.browser import foreign_origin, not_allowed, origin_allowed
from relaydesk.config import Settings
from relaydesk.contacts.models import Contact
from relaydesk.db import utcnow
from relaydesk.errors import Forbidden, Unauthorized
from relaydesk.events import Broker
from relaydesk.security import SecretBox, hash_token


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; the action that owns the change commits it."""
    read_only = request.method in ("GET", "HEAD")
    maker = request.app.state.read_sessionmaker if read_only else request.app.state.sessionmaker
    async with maker() as session:
        yield session


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_broker(request: Request) -> Broker:
    return request.app.state.broker  # type: ignore[no-any-return]


async def get_secret_box(request: Request) -> SecretBox:
    return request.app.state.secret_box  # type: ignore[no-any-return]


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A read-only session beside the request's own (never takes SQLite's write lock)."""
    async with request.app.state.read_sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
BrokerDep = Annotated[Broker, Depends(get_broker)]
SecretBoxDep = Annotated[SecretBox, Depends(get_secret_box)]


def bearer_token(request: Request) -> str | None:
    """The token from ``Authorization: Bearer``, or ``?token=`` for sockets and downloads."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


async def resolve_token(
    session: AsyncSession, settings: Settings, token: str | None
) -> Principal | None:
    """The principal a token stands for, or None."""
    if not token:
        return None
    if settings.admin_token and hmac.compare_digest(token, settings.admin_token):
        return Principal(kind="operator")
    digest = hash_token(token)
    key = await session.scalar(
        select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
    )
    if key is not None:
        return Principal(kind="api_key", app_id=key.app_id, id=key.id)
    access = await session.get(AccessToken, digest)
    if access is None or access.expires_at < utcnow():
        return None
    if access.principal_type == "agent":
        agent = await session.get(Agent, access.principal_id)
        if agent is None or agent.deleted_at is not None:
            return None
        return Principal(kind="agent", app_id=agent.app_id, id=agent.id, agent=agent)
    contact = await session.get(Contact, access.principal_id)
    if contact is None:
        return None
    origins = await session.scalar(select(App.allowed_origins).where(App.id == contact.app_id))
    return Principal(
        kind="contact",
        app_id=contact.app_id,
        id=contact.id,
        contact=contact,
        allowed_origins=tuple(origins or ()),
    )


async def get_principal(request: Request, settings: SettingsDep) -> Principal:
    """The caller, looked up in a short session of its own.

    Keeping the lookup out of the request's session means the request's transaction
    (a write lock on SQLite) starts only when the handler touches the database, not
    while it validates input or waits on a provider.
    """
    token = bearer_token(request)
    cache: PrincipalCache = request.app.state.principal_cache
    digest = hash_token(token) if token else ""
    principal = cache.get(digest) if token and cache.enabled else None
    if principal is None:
        generation = cache.generation
        async with request.app.state.read_sessionmaker() as lookup:
            # closing (not rolling back) detaches the loaded rows without expiring them
            principal = await resolve_token(lookup, settings, token)
        if principal is not None:
            cache.put(digest, principal, generation)
    if principal is None:
        raise Unauthorized("A valid bearer token is required.", code="invalid_token")
    request.state.app_id = principal.app_id  # for the request's log line
    if principal.kind == "contact":  # contacts are the public side: keep them in bounds
        origin = foreign_origin(request, settings.public_url)
        if not origin_allowed(origin, principal.allowed_origins):
            raise not_allowed(origin or "")
        await request.app.state.limiter.check("contact", principal.id or "")
    return principal


async def get_app_principal(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """Any token that belongs to an app (API key, agent, contact)."""
    if principal.kind == "operator":
        raise Forbidden("The operator token may only create apps.")
    return principal


async def get_staff(principal: Annotated[Principal, Depends(get_app_principal)]) -> Principal:
    """An API key or an agent."""
    if principal.kind == "contact":
        raise Forbidden("Contacts may not do this.")
    return principal


async def get_admin(principal: Annotated[Principal, Depends(get_staff)]) -> Principal:
    """An API key or an admin agent."""
    if not principal.is_admin:
        raise Forbidden("Only admins may do this.", code="admin_required")
    return principal


async def get_current_agent(
    principal: Annotated[Principal, Depends(get_app_principal)], session: SessionDep
) -> Agent:
    """The calling agent, loaded in the request's session (so changes to it are saved)."""
    if principal.agent is None:
        raise Forbidden("This needs an agent token.", code="agent_token_required")
    agent = await session.get(Agent, principal.agent.id)
    if agent is None:
        raise Unauthorized("A valid bearer token is required.", code="invalid_token")
    return agent


async def get_actor(request: Request, principal: Annotated[Principal, Depends(get_staff)]) -> Actor:
    """Who makes the change, for the audit log: the key or agent, and their address."""
    name = principal.agent.name if principal.agent is not None else None
    ip = request.client.host if request.client else None
    return Actor(type=principal.actor[0], id=principal.id, name=name, ip=ip)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
AppPrincipal = Annotated[Principal, Depends(get_app_principal)]
Staff = Annotated[Principal, Depends(get_staff)]
Admin = Annotated[Principal, Depends(get_admin)]
CurrentAgent = Annotated[Agent, Depends(get_current_agent)]
ActorDep = Annotated[Actor, Depends(get_actor)]
