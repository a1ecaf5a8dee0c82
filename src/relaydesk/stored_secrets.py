"""Every stored secret encrypted with the secret key, and re-encrypting it under a new key.

A service: it changes rows in the caller's session and never commits (the action
:func:`relaydesk.actions.secrets.rotate_secret_key` commits batch by batch).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Column, Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.ai_agents.models import AIAgent
from relaydesk.apps.models import App
from relaydesk.security import SecretBox
from relaydesk.webhooks.models import Webhook

#: every column holding a :class:`SecretBox` ciphertext (a new one must be added here)
ENCRYPTED: tuple[Column[Any], ...] = tuple(
    cast("Column[Any]", model.__table__.c[name])
    for model, name in (
        (App, "verification_secret_enc"),
        (AIAgent, "secrets_enc"),
        (Webhook, "secret_enc"),
    )
)
#: a row changed meanwhile (by a server) is read again this many times
_RETRIES = 3


@dataclass
class Tally:
    """What rotation found in one column."""

    table: str
    column: str
    already_current: int = 0
    rotated: int = 0
    unreadable_ids: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "column": self.column,
            "already_current": self.already_current,
            "rotated": self.rotated,
            "unreadable": len(self.unreadable_ids),
            "unreadable_ids": self.unreadable_ids,
        }


def _key(column: Column[Any]) -> Column[Any]:
    table = column.table
    assert isinstance(table, Table)
    [pk] = table.primary_key.columns
    return pk


async def rotate_batch(
    session: AsyncSession,
    box: SecretBox,
    column: Column[Any],
    tally: Tally,
    *,
    after: str,
    limit: int,
) -> str | None:
    """Re-encrypt up to ``limit`` values of ``column`` past the row id ``after`` under the
    current key; returns the last row id seen (None when there are no more rows).

    Each row is compared and set (``WHERE value = the one read``), so a secret a server
    saves meanwhile is never overwritten; the row is read again instead. Columns updated on
    every change (``updated_at``) keep their value: re-encrypting is not an edit.
    """
    table = column.table
    pk = _key(column)
    rows = (
        await session.execute(
            select(pk, column).where(column.is_not(None), pk > after).order_by(pk).limit(limit)
        )
    ).all()
    keep = {c.name: c for c in table.columns if c.onupdate is not None}
    for row_id, token in rows:
        for _ in range(_RETRIES):
            if token is None or box.is_current(token):
                tally.already_current += token is not None
                break
            try:
                fresh = box.rotate(token)
            except ValueError:
                tally.unreadable_ids.append(str(row_id))
                break
            changed = await session.execute(
                update(table)
                .where(pk == row_id, column == token)
                .values({column.name: fresh, **keep})
            )
            if changed.rowcount:  # type: ignore[attr-defined]
                tally.rotated += 1
                break
            token = await session.scalar(select(column).where(pk == row_id))
    return str(rows[-1][0]) if rows else None
