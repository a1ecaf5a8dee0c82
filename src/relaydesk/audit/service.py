"""Recording admin actions (in the caller's transaction) and reading them back."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.audit.models import AuditEntry
from relaydesk.audit.schemas import Actor, ActorOut, AuditEntryOut, TargetOut
from relaydesk.db import new_id
from relaydesk.errors import BadRequest

MASK = "****"


def record(
    session: AsyncSession,
    *,
    app_id: str,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str | None,
    target_name: str | None = None,
    changes: Mapping[str, Any] | None = None,
) -> None:
    """Add an entry to the session; it is stored only if the change itself commits."""
    session.add(
        AuditEntry(
            id=new_id("aud"),
            app_id=app_id,
            actor_type=actor.type,
            actor_id=actor.id,
            actor_name=actor.name,
            ip=actor.ip,
            action=action,
            target_type=target_type,
            target_id=target_id,
            target_name=target_name,
            changes=dict(changes or {}),
        )
    )


def view(model: BaseModel) -> dict[str, Any]:
    """An object's public (masked) form, without its timestamps, for ``diff``."""
    return model.model_dump(mode="json", exclude={"created_at", "updated_at"})


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any], *, secrets: Iterable[str] = ()
) -> dict[str, Any]:
    """``{field: {"from", "to"}}`` for what differs between two public (masked) views;
    objects are compared field by field (``config.bot_id``); ``secrets`` names secret fields
    that were given a new value (shown as ``"****"`` on both sides)."""
    changes: dict[str, Any] = {}
    _diff("", before, after, changes)
    for name in secrets:
        changes[name] = {"from": MASK, "to": MASK}
    return changes


def _diff(
    prefix: str, before: Mapping[str, Any], after: Mapping[str, Any], out: dict[str, Any]
) -> None:
    for key in sorted(set(before) | set(after), key=str):
        old, new = before.get(key), after.get(key)
        name = f"{prefix}{key}"
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            _diff(f"{name}.", old, new, out)
        elif old != new:
            out[name] = {"from": old, "to": new}


async def list(  # noqa: A001 - the domain verb
    session: AsyncSession,
    *,
    app_id: str,
    action: str | None = None,
    actor_id: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[builtins.list[AuditEntry], str | None]:
    """Newest first; the cursor is the position after the page's last entry."""
    query = select(AuditEntry).where(AuditEntry.app_id == app_id)
    if action is not None:  # "agent" matches every agent.* action
        query = query.where(
            (AuditEntry.action == action) | AuditEntry.action.startswith(f"{action}.")
        )
    for column, value in (
        (AuditEntry.actor_id, actor_id),
        (AuditEntry.target_type, target_type),
        (AuditEntry.target_id, target_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if cursor:
        if not cursor.isdigit() or len(cursor) > 18:
            raise BadRequest("The cursor is not one this API returned.", code="invalid_cursor")
        query = query.where(AuditEntry.seq < int(cursor))
    rows = builtins.list(
        await session.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit + 1))
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1].seq) if more and rows else None)


def out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        id=entry.id,
        at=entry.at,
        actor=ActorOut(type=entry.actor_type, id=entry.actor_id, name=entry.actor_name),
        ip=entry.ip,
        action=entry.action,
        target=TargetOut(type=entry.target_type, id=entry.target_id, name=entry.target_name),
        changes=entry.changes or {},
    )
