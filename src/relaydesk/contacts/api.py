"""``/api/v1/contacts`` and the widget session ``/api/v1/widget/session``."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from relaydesk.actions import access
from relaydesk.browser import foreign_origin
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
from relaydesk.errors import NotFound, error_responses
from relaydesk.ratelimit import client_ip

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
    return await access.update_contact(
        session,
        broker,
        principal=principal,
        contact_id=contact_id,
        changes=body.model_dump(exclude_unset=True),
    )


@router.post(
    "/widget/session",
    response_model=WidgetSessionOut,
    responses=error_responses(401, 403, 404, 429, 503),
)
async def widget_session(
    body: WidgetSessionIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    box: SecretBoxDep,
    broker: BrokerDep,
) -> WidgetSessionOut:
    """A contact token for the chat widget (no bearer token needed: the app id is public).

    From a website missing from the app's ``allowed_origins``: 403 ``origin_not_allowed``.
    """
    await request.app.state.limiter.check("widget_session", client_ip(request))
    contact, token = await access.open_widget_session(
        session,
        broker,
        settings=settings,
        box=box,
        body=body,
        origin=foreign_origin(request, settings.public_url),
    )
    return WidgetSessionOut(token=token, contact=ContactOut.model_validate(contact))
