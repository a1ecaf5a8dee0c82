"""Changes to an app's set-up: the app itself, its API keys and its webhooks."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk import outbound
from relaydesk.apps import service as apps
from relaydesk.apps.models import ApiKey, App
from relaydesk.apps.schemas import AppOut
from relaydesk.audit import service as audit
from relaydesk.audit.schemas import Actor
from relaydesk.errors import Invalid
from relaydesk.events import Broker, commit
from relaydesk.security import SecretBox
from relaydesk.webhooks import service as webhooks
from relaydesk.webhooks.models import Webhook


async def create_app(session: AsyncSession, broker: Broker | None, *, name: str) -> tuple[App, str]:
    """A new app with its routing settings and a first API key; returns (app, key)."""
    app, key = await apps.create(session, name=name)
    await commit(session, broker)
    return app, key


async def update_app(
    session: AsyncSession,
    broker: Broker,
    *,
    app: App,
    box: SecretBox,
    changes: dict[str, Any],
    actor: Actor,
) -> App:
    """Rename the app or set up widget identity verification (which needs a secret)."""
    if changes.get("require_user_hash") and not (
        changes.get("verification_secret") or app.verification_secret_enc
    ):
        raise Invalid("Identity verification needs a verification_secret.")
    before = audit.view(AppOut.model_validate(app))
    await apps.update(session, app=app, box=box, **changes)
    secrets = ["verification_secret"] if changes.get("verification_secret") else []
    diff = audit.diff(before, audit.view(AppOut.model_validate(app)), secrets=secrets)
    if diff:
        _audit(session, actor, "app.update", app.id, "app", app.id, app.name, diff)
    await commit(session, broker)
    return app


async def create_api_key(
    session: AsyncSession, broker: Broker, *, app_id: str, name: str, actor: Actor
) -> tuple[ApiKey, str]:
    """A new key; the plain key is returned once (only its hash is stored)."""
    key, secret = await apps.create_api_key(session, app_id=app_id, name=name)
    changes = {"prefix": {"from": None, "to": key.prefix}}
    _audit(session, actor, "api_key.create", app_id, "api_key", key.id, key.name, changes)
    await commit(session, broker)
    return key, secret


async def delete_api_key(
    session: AsyncSession, broker: Broker, *, app_id: str, key_id: str, actor: Actor
) -> None:
    """Revoke a key at once: sockets opened with it close."""
    await apps.delete_api_key(session, app_id=app_id, key_id=key_id)
    _audit(session, actor, "api_key.delete", app_id, "api_key", key_id, None, {})
    await commit(session, broker)


async def create_webhook(
    session: AsyncSession,
    broker: Broker,
    *,
    app_id: str,
    box: SecretBox,
    url: str,
    events: list[str],
    secret: str,
    actor: Actor,
) -> Webhook:
    """Subscribe a URL to event types; the secret (stored encrypted) signs every delivery."""
    await outbound.check(url, field="url")
    hook = await webhooks.create(session, box, app_id=app_id, url=url, events=events, secret=secret)
    changes = {"url": {"from": None, "to": url}, "events": {"from": None, "to": events}}
    _audit(session, actor, "webhook.create", app_id, "webhook", hook.id, None, changes)
    await commit(session, broker)
    return hook


async def delete_webhook(
    session: AsyncSession, broker: Broker, *, hook: Webhook, actor: Actor
) -> None:
    """Remove the webhook and its pending deliveries."""
    changes = {"url": {"from": hook.url, "to": None}, "events": {"from": hook.events, "to": None}}
    _audit(session, actor, "webhook.delete", hook.app_id, "webhook", hook.id, None, changes)
    await webhooks.delete(session, hook=hook)
    await commit(session, broker)


def _audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    app_id: str,
    target_type: str,
    target_id: str,
    target_name: str | None,
    changes: dict[str, Any],
) -> None:
    audit.record(
        session,
        app_id=app_id,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_name=target_name,
        changes=changes,
    )
