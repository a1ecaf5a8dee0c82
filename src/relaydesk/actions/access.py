"""Who may call: agent login and logout, the widget's contact session, a contact's own
details, and the files callers upload."""

from __future__ import annotations

import asyncio
import hmac

from fastapi import UploadFile
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.agents.models import Agent
from relaydesk.apps.models import App
from relaydesk.auth import service as tokens
from relaydesk.auth.principal import Principal
from relaydesk.browser import not_allowed, origin_allowed
from relaydesk.config import Settings
from relaydesk.contacts import service as contacts
from relaydesk.contacts.models import Contact
from relaydesk.contacts.schemas import ContactOut, WidgetSessionIn
from relaydesk.db import new_token
from relaydesk.errors import ApiError, Forbidden, NotFound, Unauthorized
from relaydesk.events import Broker, Event, commit, emit, emit_revoked
from relaydesk.security import DUMMY_HASH, SecretBox, hash_token, hmac_hex, verify_password
from relaydesk.uploads import service as uploads
from relaydesk.uploads.models import Upload


async def login(
    session: AsyncSession, broker: Broker, *, settings: Settings, email: str, password: str
) -> tuple[Agent, str]:
    """A bearer token for the agent with this email and password (an email may exist in
    several apps: the password picks the account)."""
    candidates = list(
        await session.scalars(
            select(Agent).where(Agent.email == email.lower(), Agent.deleted_at.is_(None))
        )
    )
    session.expunge_all()  # keep the rows as loaded, then end the transaction: no lock
    await session.rollback()  # (on SQLite: no write lock) is held while hashing
    if not candidates:  # the same work as a wrong password: no telling which emails exist
        await asyncio.to_thread(verify_password, DUMMY_HASH, password)
    for agent in candidates:
        if await asyncio.to_thread(verify_password, agent.password_hash, password):
            token = await _issue(session, settings, agent.app_id, "agent", agent.id)
            await commit(session, broker)
            return agent, token
    raise Unauthorized("Wrong email or password.", code="invalid_credentials")


async def _issue(
    session: AsyncSession, settings: Settings, app_id: str, kind: str, principal_id: str
) -> str:
    return await tokens.issue(
        session,
        app_id=app_id,
        principal_type=kind,
        principal_id=principal_id,
        ttl_s=settings.token_ttl_s,
    )


async def logout(session: AsyncSession, broker: Broker, *, app_id: str, token: str) -> None:
    """Revoke the token: sockets opened with it close."""
    await tokens.revoke(session, token=token)
    emit_revoked(session, app_id=app_id, token_hash=hash_token(token))
    await commit(session, broker)


async def open_widget_session(
    session: AsyncSession,
    broker: Broker,
    *,
    settings: Settings,
    box: SecretBox,
    body: WidgetSessionIn,
    origin: str | None = None,
) -> tuple[Contact, str]:
    """The contact (found by external id, or new) and a contact token for the widget.

    ``origin``: the calling website when it is not ours (refused unless the app allows it,
    403 ``origin_not_allowed``). The identity is checked when the app requires it, or when a hash
    is sent and the app can check it.
    """
    app = await session.get(App, body.app_id)
    if app is None:
        raise NotFound("No such app.")
    if not origin_allowed(origin, app.allowed_origins or ()):
        raise not_allowed(origin or "")
    # an anonymous visitor (no external_id) has nothing to verify: a new contact of its own
    external_id = body.external_id or f"visitor-{new_token(24)}"
    verified = False
    if body.external_id is not None and (
        app.require_user_hash or (body.user_hash and app.verification_secret_enc)
    ):
        if not app.verification_secret_enc:
            raise Forbidden("This app has no identity verification secret.")
        try:
            secret = box.decrypt(app.verification_secret_enc)
        except ValueError:  # saved under a key this server was not given: the operator's fault
            raise ApiError(
                "Identity verification is unavailable: this server cannot read the app's "
                "verification secret (RELAYDESK_SECRET_KEY_PREVIOUS lacks the key it was "
                "saved under).",
                code="secret_unreadable",
                status_code=503,
            ) from None
        expected = hmac_hex(secret, external_id)
        if not body.user_hash or not hmac.compare_digest(expected, body.user_hash.lower()):
            raise Unauthorized("user_hash does not match external_id.", code="invalid_user_hash")
        verified = True
    contact = await contacts.upsert(
        session,
        app_id=app.id,
        external_id=external_id,
        name=body.name,
        email=body.email,
        language=body.language,
        verified=verified,
    )
    token = await _issue(session, settings, app.id, "contact", contact.id)
    await commit(session, broker)
    return contact, token


async def update_contact(
    session: AsyncSession,
    broker: Broker,
    *,
    principal: Principal,
    contact_id: str,
    changes: dict[str, object],
) -> ContactOut:
    """Staff update any contact of their app; a contact updates itself (``contact.updated``)."""
    if principal.kind == "contact" and principal.id != contact_id:
        raise NotFound("No such contact.")
    contact = await contacts.get(session, app_id=principal.app_id or "", contact_id=contact_id)
    contacts.update(contact, dict(changes))
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


async def store_upload(
    session: AsyncSession,
    broker: Broker,
    *,
    settings: Settings,
    principal: Principal,
    file: UploadFile,
) -> Upload:
    """Check and keep a file (size and type limits from settings) for the caller's app."""
    row = await uploads.store(
        session,
        settings,
        app_id=principal.app_id or "",
        file=file,
        uploader_type=principal.kind,
        uploader_id=principal.id,
    )
    await commit(session, broker)
    return row
