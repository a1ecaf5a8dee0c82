"""Issuing and revoking session tokens for agents and contacts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.auth.models import AccessToken
from relaydesk.db import new_token, utcnow
from relaydesk.security import hash_token


async def issue(
    session: AsyncSession, *, app_id: str, principal_type: str, principal_id: str, ttl_s: int
) -> str:
    """A new bearer token for an agent or a contact; only its hash is stored."""
    token = ("rda_" if principal_type == "agent" else "rdc_") + new_token(30)
    session.add(
        AccessToken(
            token_hash=hash_token(token),
            app_id=app_id,
            principal_type=principal_type,
            principal_id=principal_id,
            expires_at=utcnow() + timedelta(seconds=ttl_s),
        )
    )
    await session.flush()
    return token


async def revoke(session: AsyncSession, *, token: str) -> None:
    await session.execute(delete(AccessToken).where(AccessToken.token_hash == hash_token(token)))


async def revoke_agent_sessions(
    session: AsyncSession, *, agent_id: str, keep_hash: str | None = None
) -> list[str]:
    """Revoke every session token of the agent except ``keep_hash``; their hashes."""
    query = select(AccessToken.token_hash).where(
        AccessToken.principal_type == "agent", AccessToken.principal_id == agent_id
    )
    if keep_hash is not None:
        query = query.where(AccessToken.token_hash != keep_hash)
    hashes = list(await session.scalars(query))
    if hashes:
        await session.execute(delete(AccessToken).where(AccessToken.token_hash.in_(hashes)))
    return hashes
