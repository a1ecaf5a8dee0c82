"""Webhooks: CRUD, the outbox hook that writes deliveries with the events, and the claims."""

from __future__ import annotations

import builtins
import functools
import hashlib
import hmac
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, Select, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.db import new_id, utcnow
from relaydesk.errors import NotFound
from relaydesk.events import INTERNAL_TYPES, Event, after_commit, before_commit_hook
from relaydesk.fairness import OVERSAMPLE, fair_pick
from relaydesk.security import SecretBox
from relaydesk.webhooks.models import Webhook, WebhookDelivery
from relaydesk.webhooks.schemas import ALL_EVENTS, DeliveryOut

#: callables run after a commit that wrote deliveries (wake this process's workers)
_wakeups: builtins.list[Callable[[], None]] = []


def on_delivery_written(callback: Callable[[], None]) -> None:
    """Register a callback run after each commit that wrote webhook deliveries."""
    _wakeups.append(callback)


def off_delivery_written(callback: Callable[[], None]) -> None:
    """Forget a callback registered with :func:`on_delivery_written`."""
    if callback in _wakeups:
        _wakeups.remove(callback)


def _wake_all() -> None:
    for callback in [*_wakeups]:
        callback()


# --- CRUD -----------------------------------------------------------------------------------


async def create(
    session: AsyncSession,
    box: SecretBox,
    *,
    app_id: str,
    url: str,
    events: builtins.list[str],
    secret: str,
) -> Webhook:
    """A new webhook; the secret is stored encrypted."""
    hook = Webhook(
        id=new_id("whk"), app_id=app_id, url=url, events=events, secret_enc=box.encrypt(secret)
    )
    session.add(hook)
    await session.flush()
    return hook


async def delete(session: AsyncSession, *, hook: Webhook) -> None:
    """Remove the webhook; its deliveries go with it."""
    await session.delete(hook)
    await session.flush()


async def list(session: AsyncSession, *, app_id: str) -> builtins.list[Webhook]:  # noqa: A001
    rows = await session.scalars(
        select(Webhook).where(Webhook.app_id == app_id).order_by(Webhook.created_at, Webhook.id)
    )
    return [*rows]


async def get(session: AsyncSession, *, app_id: str, webhook_id: str) -> Webhook:
    """The app's webhook, or 404 (also for another app's id)."""
    hook = await session.scalar(
        select(Webhook).where(Webhook.id == webhook_id, Webhook.app_id == app_id)
    )
    if hook is None:
        raise NotFound("No such webhook.")
    return hook


async def deliveries(
    session: AsyncSession, *, webhook_id: str, status: str | None, limit: int
) -> builtins.list[DeliveryOut]:
    """The webhook's deliveries, newest first."""
    query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    if status:
        query = query.where(WebhookDelivery.status == status)
    rows = await session.scalars(query.order_by(WebhookDelivery.seq.desc()).limit(limit))
    return [
        DeliveryOut(
            id=d.id,
            event_id=str(d.body.get("id")),
            event_type=d.event_type,
            status=d.status,
            attempts=d.attempts,
            last_status=d.last_status,
            last_error=d.last_error,
            next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
            created_at=d.created_at,
            delivered_at=d.delivered_at,
        )
        for d in rows
    ]


# --- the outbox -----------------------------------------------------------------------------


def subscribes(hook_events: builtins.list[str], event_type: str) -> bool:
    """Whether a webhook with these event types wants this event."""
    return ALL_EVENTS in hook_events or event_type in hook_events


def event_body(event: Event) -> dict[str, Any]:
    """The JSON body POSTed for an event."""
    return {
        "id": event.id,
        "type": event.type,
        "created_at": event.created_at,
        "app_id": event.app_id,
        "data": event.data,
    }


@functools.cache
def _hooks_of_apps() -> Select[str, str, builtins.list[str]]:
    app_ids: BindParameter[builtins.list[str]] = bindparam("app_ids", expanding=True)
    return select(Webhook.id, Webhook.app_id, Webhook.events).where(Webhook.app_id.in_(app_ids))


@before_commit_hook
async def write_outbox(session: AsyncSession, events: builtins.list[Event]) -> None:
    """Write a delivery row per (event, subscribed webhook) in the event's own transaction."""
    wanted = [e for e in events if e.type not in INTERNAL_TYPES]
    if not wanted:
        return
    app_ids = {e.app_id for e in wanted}
    # plain rows, not ORM objects: this runs on every commit that carries events
    hooks = (await session.execute(_hooks_of_apps(), {"app_ids": sorted(app_ids)})).all()
    if not hooks:
        return
    now = utcnow()
    written = 0
    for event in wanted:
        body: dict[str, Any] | None = None
        for hook in hooks:
            if hook.app_id != event.app_id or not subscribes(hook.events, event.type):
                continue
            body = body or event_body(event)
            session.add(
                WebhookDelivery(
                    id=new_id("whd"),
                    app_id=event.app_id,
                    webhook_id=hook.id,
                    event_type=event.type,
                    body=body,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            written += 1
    if written:
        await session.flush()
        after_commit(session, _wake_all)


# --- signing and claims ---------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: str) -> str:
    """``t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def backoff_s(
    attempts: int, base_s: float, max_s: float, retry_after: float | None = None
) -> float:
    """Exponential backoff with jitter (half fixed, half random), capped; honours Retry-After."""
    ceiling = min(max_s, base_s * (2 ** max(0, attempts - 1)))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, max_s))
    return delay


@dataclass
class Claimed:
    """A delivery leased to this worker, with what it needs to send it."""

    seq: int
    id: str
    app_id: str
    event_type: str
    body: dict[str, Any]
    attempts: int  # including this one
    url: str
    secret_enc: str


async def claim(
    session: AsyncSession,
    *,
    limit: int,
    lease_s: float,
    postgres: bool,
    in_flight: builtins.list[int] | None = None,
    app_running: Counter[str] | None = None,
    app_max: int = 1_000_000,
) -> builtins.list[Claimed]:
    """Lease up to ``limit`` due deliveries (SKIP LOCKED on PostgreSQL) and count the attempt.

    ``in_flight``: deliveries the caller is still sending, never taken back by it even if
    their lease ran out; ``app_running`` / ``app_max``: at most ``app_max`` deliveries of one
    app in flight (:mod:`relaydesk.fairness`). The caller (the delivery worker) commits.
    """
    now = utcnow()
    due = (
        select(WebhookDelivery.seq, WebhookDelivery.app_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until < now),
            WebhookDelivery.seq.not_in(in_flight or []),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.seq)
        .limit(limit * OVERSAMPLE)
    )
    if postgres:
        due = due.with_for_update(skip_locked=True)
    picked = fair_pick(
        (await session.execute(due)).all(),
        slots=limit,
        running=app_running or Counter(),
        app_max=app_max,
        app_of=lambda row: row.app_id,
    )
    seqs = [row.seq for row in picked]
    if not seqs:
        return []
    until = now + timedelta(seconds=lease_s)
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.seq.in_(seqs))
        .values(locked_until=until, attempts=WebhookDelivery.attempts + 1)
    )
    rows = await session.execute(
        select(WebhookDelivery, Webhook.url, Webhook.secret_enc)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(WebhookDelivery.seq.in_(seqs))
        .execution_options(populate_existing=True)
    )
    claimed = [
        Claimed(
            seq=d.seq,
            id=d.id,
            app_id=d.app_id,
            event_type=d.event_type,
            body=d.body,
            attempts=d.attempts,
            url=url,
            secret_enc=secret_enc,
        )
        for d, url, secret_enc in rows
    ]
    return claimed


async def finish(
    session: AsyncSession,
    item: Claimed,
    *,
    ok: bool,
    status_code: int | None,
    error: str | None,
    retry_at: datetime | None,
) -> None:
    """Record an attempt: done, retried at ``retry_at``, or failed when ``retry_at`` is None."""
    values: dict[str, Any] = {"locked_until": None, "last_status": status_code, "last_error": error}
    if ok:
        values.update(status="done", delivered_at=utcnow(), last_error=None)
    elif retry_at is None:
        values.update(status="failed")
    else:
        values.update(next_attempt_at=retry_at)
    # only if nobody retook the lease meanwhile (their claim counted another attempt)
    await session.execute(
        update(WebhookDelivery)
        .where(and_(WebhookDelivery.seq == item.seq, WebhookDelivery.attempts == item.attempts))
        .values(**values)
    )
