"""Issuing and revoking session tokens for agents and contacts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
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
