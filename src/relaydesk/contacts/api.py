"""``/api/v1/contacts`` and the widget session ``/api/v1/widget/session``."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Query, Request

from relaydesk.apps.models import App
from relaydesk.auth import service as auth_service
from relaydesk.contacts import service
from relaydesk.contacts.schemas import ContactOut, ContactUpdate, WidgetSessionIn, WidgetSessionOut
from relaydesk.deps import (
    AppPrincipal,
    BrokerDep,
    SecretBoxDep,
    SessionDep,
    SettingsDep,
    Staff,
)
from relaydesk.errors import Forbidden, NotFound, Unauthorized
from relaydesk.events import Event, commit, emit
from relaydesk.ratelimit import client_ip
from relaydesk.security import hmac_hex

router = APIRouter(prefix="/api/v1", tags=["contacts"])


@router.get("/contacts")
async def list_contacts(
    session: SessionDep,
    principal: Staff,
    external_id: str | None = Query(default=None, max_length=255),
    limit: int = Query(default=50, ge=1, le=200),
) -> dict[str, list[ContactOut]]:
    rows = await service.list(
        session, app_id=principal.app_id or "", external_id=external_id, limit=limit
    )
    return {"items": [ContactOut.model_validate(c) for c in rows]}


@router.get("/contacts/{contact_id}", response_model=ContactOut)
async def get_contact(contact_id: str, session: SessionDep, principal: AppPrincipal) -> ContactOut:
    if principal.kind == "contact" and principal.id != contact_id:
        raise NotFound("No such contact.")
    return ContactOut.model_validate(
        await service.get(session, app_id=principal.app_id or "", contact_id=contact_id)
    )


@router.patch("/contacts/{contact_id}", response_model=ContactOut)
async def update_contact(
    contact_id: str,
    body: ContactUpdate,
    session: SessionDep,
    principal: AppPrincipal,
    broker: BrokerDep,
) -> ContactOut:
    """Staff update any contact; a contact updates itself (the widget's updateUser)."""
    if principal.kind == "contact" and principal.id != contact_id:
        raise NotFound("No such contact.")
    contact = await service.get(session, app_id=principal.app_id or "", contact_id=contact_id)
    service.update(contact, body.model_dump(exclude_unset=True))
    await session.flush()
    out = ContactOut.model_validate(contact)
    emit(
        session,
        Event(
            type="contact.updated",
            app_id=contact.app_id,
            contact_id=contact.id,
            data=out.model_dump(mode="json"),
        ),
    )
    await commit(session, broker)
    return out


@router.post("/widget/session", response_model=WidgetSessionOut)
async def widget_session(
    body: WidgetSessionIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    box: SecretBoxDep,
    broker: BrokerDep,
) -> WidgetSessionOut:
    """A contact token for the chat widget (no bearer token needed: the app id is public)."""
    await request.app.state.limiter.check("widget_session", client_ip(request))
    app = await session.get(App, body.app_id)
    if app is None:
        raise NotFound("No such app.")
    # verify when the app requires it, or when a hash is sent and the app can check it
    if app.require_user_hash or (body.user_hash and app.verification_secret_enc):
        if not app.verification_secret_enc:
            raise Forbidden("This app has no identity verification secret.")
        expected = hmac_hex(box.decrypt(app.verification_secret_enc), body.external_id)
        if not body.user_hash or not hmac.compare_digest(expected, body.user_hash.lower()):
            raise Unauthorized("user_hash does not match external_id.", code="invalid_user_hash")
    contact = await service.upsert(
        session,
        app_id=app.id,
        external_id=body.external_id,
        name=body.name,
        email=body.email,
        language=body.language,
    )
    token = await auth_service.issue(
        session,
        app_id=app.id,
        principal_type="contact",
        principal_id=contact.id,
        ttl_s=settings.token_ttl_s,
    )
    out = ContactOut.model_validate(contact)
    await commit(session, broker)
    return WidgetSessionOut(token=token, contact=out)
