"""``/api/v1/webhooks``: outbound event webhooks (admins: API keys and admin agents).

Importing this module (the app does, at start) registers the outbox hook that writes a
delivery row for each subscribed event in the same transaction as the event.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Response

from relaydesk.actions import apps as actions
from relaydesk.deps import ActorDep, Admin, BrokerDep, SecretBoxDep, SessionDep
from relaydesk.webhooks import service
from relaydesk.webhooks.schemas import WEBHOOK_EVENT_TYPES, DeliveryOut, WebhookIn, WebhookOut

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


@router.post("", status_code=201, response_model=WebhookOut)
async def create_webhook(
    body: WebhookIn,
    session: SessionDep,
    principal: Admin,
    box: SecretBoxDep,
    broker: BrokerDep,
    actor: ActorDep,
) -> WebhookOut:
    """Subscribe a URL to event types (``"*"``: all); the secret signs every delivery."""
    hook = await actions.create_webhook(
        session,
        broker,
        app_id=principal.app_id or "",
        box=box,
        url=str(body.url),
        events=body.events,
        secret=body.secret,
        actor=actor,
    )
    return WebhookOut.model_validate(hook)


@router.get("")
async def list_webhooks(session: SessionDep, principal: Admin) -> dict[str, list[WebhookOut]]:
    hooks = await service.list(session, app_id=principal.app_id or "")
    return {"items": [WebhookOut.model_validate(h) for h in hooks]}


@router.get("/event-types")
async def list_event_types(principal: Admin) -> dict[str, list[str]]:
    """The event types a webhook may subscribe to (``"*"`` subscribes to all of them)."""
    return {"items": list(WEBHOOK_EVENT_TYPES)}


@router.get("/{webhook_id}", response_model=WebhookOut)
async def get_webhook(webhook_id: str, session: SessionDep, principal: Admin) -> WebhookOut:
    hook = await service.get(session, app_id=principal.app_id or "", webhook_id=webhook_id)
    return WebhookOut.model_validate(hook)


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(
    webhook_id: str, session: SessionDep, principal: Admin, broker: BrokerDep, actor: ActorDep
) -> Response:
    """Remove the webhook and its pending deliveries."""
    hook = await service.get(session, app_id=principal.app_id or "", webhook_id=webhook_id)
    await actions.delete_webhook(session, broker, hook=hook, actor=actor)
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries")
async def list_deliveries(
    webhook_id: str,
    session: SessionDep,
    principal: Admin,
    status: Literal["pending", "done", "failed"] | None = None,
    limit: int = Query(default=50, ge=1, le=500),
) -> dict[str, list[DeliveryOut]]:
    """The webhook's recent deliveries, newest first, with their attempts and last result."""
    hook = await service.get(session, app_id=principal.app_id or "", webhook_id=webhook_id)
    items = await service.deliveries(session, webhook_id=hook.id, status=status, limit=limit)
    return {"items": items}
