"""``/api/v1/apps`` (operator) and ``/api/v1/app``, ``/api/v1/api-keys`` (admins)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from relaydesk.actions import apps as actions
from relaydesk.apps import service
from relaydesk.apps.models import App
from relaydesk.apps.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    AppCreate,
    AppCreated,
    AppOut,
    AppUpdate,
)
from relaydesk.deps import ActorDep, Admin, BrokerDep, PrincipalDep, SecretBoxDep, SessionDep
from relaydesk.errors import Forbidden

router = APIRouter(prefix="/api/v1", tags=["apps"])


def _app_out(app: App) -> AppOut:
    out = AppOut.model_validate(app)
    out.has_verification_secret = app.verification_secret_enc is not None
    return out


@router.post("/apps", status_code=201, response_model=AppCreated)
async def create_app(
    body: AppCreate, session: SessionDep, principal: PrincipalDep, broker: BrokerDep
) -> AppCreated:
    """Create an app (operator token only); the answer holds its first API key."""
    if principal.kind != "operator":
        raise Forbidden("Only the operator token may create apps.", code="operator_required")
    app, key = await actions.create_app(session, broker, name=body.name)
    return AppCreated(id=app.id, name=app.name, api_key=key)


@router.get("/app", response_model=AppOut)
async def get_own_app(session: SessionDep, principal: Admin) -> AppOut:
    """The caller's app."""
    return _app_out(await service.get(session, app_id=principal.app_id or ""))


@router.patch("/app", response_model=AppOut)
async def update_own_app(
    body: AppUpdate,
    session: SessionDep,
    principal: Admin,
    box: SecretBoxDep,
    broker: BrokerDep,
    actor: ActorDep,
) -> AppOut:
    """Rename the app or set up widget identity verification."""
    app = await service.get(session, app_id=principal.app_id or "")
    changes = body.model_dump(exclude_unset=True)
    await actions.update_app(session, broker, app=app, box=box, changes=changes, actor=actor)
    return _app_out(app)


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
async def create_api_key(
    body: ApiKeyCreate, session: SessionDep, principal: Admin, broker: BrokerDep, actor: ActorDep
) -> ApiKeyCreated:
    """A new API key for the caller's app; the key is shown only in this answer."""
    key, secret = await actions.create_api_key(
        session, broker, app_id=principal.app_id or "", name=body.name, actor=actor
    )
    return ApiKeyCreated(
        id=key.id, name=key.name, prefix=key.prefix, created_at=key.created_at, key=secret
    )


@router.get("/api-keys")
async def list_api_keys(session: SessionDep, principal: Admin) -> dict[str, list[ApiKeyOut]]:
    keys = await service.list_api_keys(session, app_id=principal.app_id or "")
    return {"items": [ApiKeyOut.model_validate(k) for k in keys]}


@router.delete("/api-keys/{key_id}", status_code=204)
async def delete_api_key(
    key_id: str, session: SessionDep, principal: Admin, broker: BrokerDep, actor: ActorDep
) -> Response:
    """Revoke a key at once."""
    app_id = principal.app_id or ""
    await actions.delete_api_key(session, broker, app_id=app_id, key_id=key_id, actor=actor)
    return Response(status_code=204)
