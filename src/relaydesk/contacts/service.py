"""Contacts: upsert by external id, read, update."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.contacts.models import Contact
from relaydesk.db import new_id
from relaydesk.errors import NotFound, Unauthorized


def normalize_language(tag: str | None) -> str | None:
    """``en_us`` → ``en-US``: BCP 47 casing (language lower, region upper)."""
    if not tag:
        return None
    parts = tag.replace("_", "-").split("-")
    out = [parts[0].lower()]
    for p in parts[1:]:
        out.append(p.upper() if len(p) == 2 else p.title() if len(p) == 4 else p)
    return "-".join(out)


async def get(session: AsyncSession, *, app_id: str, contact_id: str) -> Contact:
    """The app's contact, else 404 (found by id and app in one statement)."""
    contact = await session.scalar(
        select(Contact).where(Contact.id == contact_id, Contact.app_id == app_id)
    )
    if contact is None:
        raise NotFound("No such contact.")
    return contact


async def list(  # noqa: A001
    session: AsyncSession, *, app_id: str, external_id: str | None = None, limit: int = 50
) -> builtins.list[Contact]:
    query = select(Contact).where(Contact.app_id == app_id)
    if external_id is not None:
        query = query.where(Contact.external_id == external_id)
    rows = await session.scalars(query.order_by(Contact.created_at.desc()).limit(limit))
    return [*rows]


async def upsert(
    session: AsyncSession,
    *,
    app_id: str,
    external_id: str,
    name: str | None = None,
    email: str | None = None,
    language: str | None = None,
    verified: bool = True,
) -> Contact:
    """The contact with this external id, created or updated with the given fields.

    ``verified``: the caller vouches for the identity (the app's API, a valid user_hash).
    An unverified caller gets a contact only if it is new or was never verified
    (401 ``identity_verification_required`` otherwise), and changes none of its profile
    but the language.
    """
    query = select(Contact).where(Contact.app_id == app_id, Contact.external_id == external_id)
    contact = await session.scalar(query)
    fresh = False
    if contact is None:
        contact = Contact(
            id=new_id("ct"), app_id=app_id, external_id=external_id, metadata_={}, verified=verified
        )
        try:
            async with session.begin_nested():
                session.add(contact)
        except IntegrityError:  # created concurrently: use that one
            contact = await session.scalar(query)
            assert contact is not None
        else:
            fresh = True
    if verified or fresh:
        contact.verified |= verified
        update(contact, {"name": name, "email": email, "language": language})
    elif contact.verified:
        raise Unauthorized(
            "This contact's identity is verified: a widget session for it needs its user_hash.",
            code="identity_verification_required",
        )
    else:
        update(contact, {"language": language})
    await session.flush()
    return contact


def update(contact: Contact, changes: dict[str, Any]) -> Contact:
    """Apply the given (non-None) changes."""
    for field in ("name", "email"):
        if changes.get(field) is not None:
            setattr(contact, field, changes[field])
    if changes.get("language") is not None:
        contact.language = normalize_language(changes["language"])
    if changes.get("metadata") is not None:
        contact.metadata_ = {**(contact.metadata_ or {}), **changes["metadata"]}
    return contact
