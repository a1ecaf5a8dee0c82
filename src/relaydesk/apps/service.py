"""Apps and API keys."""

from __future__ import annotations

from types import EllipsisType

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.apps.models import ApiKey, App
from relaydesk.db import new_id, new_token, utcnow
from relaydesk.errors import NotFound
from relaydesk.events import emit_revoked
from relaydesk.routing.models import RoutingSettings
from relaydesk.security import SecretBox, hash_token


async def create(session: AsyncSession, *, name: str) -> tuple[App, str]:
    """A new app with its routing settings and a first API key; returns (app, key)."""
    app = App(id=new_id("app"), name=name)
    session.add(app)
    session.add(RoutingSettings(app_id=app.id))
    await session.flush()
    _, key = await create_api_key(session, app_id=app.id, name="default")
    return app, key


async def get(session: AsyncSession, *, app_id: str) -> App:
    app = await session.get(App, app_id)
    if app is None:
        raise NotFound("No such app.")
    return app


async def update(
    session: AsyncSession,
    *,
    app: App,
    box: SecretBox,
    name: str | None = None,
    require_user_hash: bool | None = None,
    verification_secret: str | None = None,
    allowed_origins: list[str] | None | EllipsisType = ...,
) -> App:
    """Change what is given (``allowed_origins``: ``...`` keeps them, None or [] = any).

    New origins also drop the resolved tokens every process caches, which carry them.
    """
    if name is not None:
        app.name = name
    if verification_secret is not None:
        app.verification_secret_enc = box.encrypt(verification_secret)
    if require_user_hash is not None:
        app.require_user_hash = require_user_hash
    if allowed_origins is not ...:
        app.allowed_origins = list(dict.fromkeys(allowed_origins or [])) or None
        emit_revoked(session, app_id=app.id, kind="app", id=app.id)
    await session.flush()
    return app


async def create_api_key(session: AsyncSession, *, app_id: str, name: str) -> tuple[ApiKey, str]:
    """A new key; the plain key is returned once and stored only as a hash."""
    secret = "rdk_" + new_token(30)
    key = ApiKey(
        id=new_id("key"), app_id=app_id, name=name, prefix=secret[:10], key_hash=hash_token(secret)
    )
    session.add(key)
    await session.flush()
    return key, secret


async def list_api_keys(session: AsyncSession, *, app_id: str) -> list[ApiKey]:
    rows = await session.scalars(
        select(ApiKey)
        .where(ApiKey.app_id == app_id, ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.created_at)
    )
    return list(rows)


async def delete_api_key(session: AsyncSession, *, app_id: str, key_id: str) -> None:
    key = await session.scalar(
        select(ApiKey).where(
            ApiKey.id == key_id, ApiKey.app_id == app_id, ApiKey.revoked_at.is_(None)
        )
    )
    if key is None:
        raise NotFound("No such API key.")
    key.revoked_at = utcnow()
    await session.flush()
    emit_revoked(session, app_id=app_id, kind="api_key", id=key.id)
