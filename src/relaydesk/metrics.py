"""What ``/metrics`` reports besides HTTP: bot turns, queues, assignments, sockets.

Counters and histograms are per process (Prometheus sums them). The queue gauges are read
from the database at each scrape, so every process reports the same truth. Labels are
bounded sets (kinds, outcomes, reasons): never ids or user data.
"""

from __future__ import annotations

import logging
from datetime import datetime

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.ai_agents.models import BotTurn
from relaydesk.conversations.models import Conversation
from relaydesk.db import utcnow
from relaydesk.events import Event, on_committed
from relaydesk.webhooks.models import WebhookDelivery

TURNS = Counter(
    "relaydesk_turns_total",
    "Bot turns by kind and outcome (done, cancelled, retried, failed, lost)",
    ["kind", "outcome"],
)
TURN_SECONDS = Histogram(
    "relaydesk_turn_duration_seconds",
    "Time from a bot turn's claim to its end (the bot call included)",
    ["kind"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
ASSIGNMENTS = Counter("relaydesk_assignments_total", "Committed assignments by reason", ["reason"])
TURN_QUEUE = Gauge("relaydesk_turn_queue_depth", "Bot turns pending or running")
TURN_OLDEST = Gauge(
    "relaydesk_turn_queue_oldest_age_seconds", "Age of the oldest pending or running bot turn"
)
WEBHOOK_QUEUE = Gauge("relaydesk_webhook_queue_depth", "Webhook deliveries not yet sent")
WAITING = Gauge("relaydesk_waiting_conversations", "Conversations waiting for an agent")

turns_log = logging.getLogger("relaydesk.turns")
_KINDS = frozenset({"text", "welcome", "event", "media"})


def turn_ended(
    kind: str, outcome: str, seconds: float | None = None, *, turn_id: int | None = None
) -> None:
    kind = kind if kind in _KINDS else "other"
    TURNS.labels(kind, outcome).inc()
    if seconds is not None:
        TURN_SECONDS.labels(kind).observe(seconds)
    extra: dict[str, object] = {"turn_id": turn_id, "kind": kind, "outcome": outcome}
    if seconds is not None:
        extra["duration_ms"] = round(seconds * 1000, 2)
    turns_log.info("bot turn %s %s: %s", turn_id, kind, outcome, extra=extra)


def _count_assignments(events: list[Event]) -> None:
    for event in events:
        if event.type == "conversation.assigned":
            assignment = event.data.get("assignment") or {}
            reason = str(assignment.get("reason") or "unknown")[:40]
            ASSIGNMENTS.labels(reason).inc()


on_committed(_count_assignments)


async def refresh_queues(session: AsyncSession) -> None:
    """Set the queue gauges from the database (every process sees the same rows)."""
    open_turns = BotTurn.status.in_(("pending", "running"))
    depth, oldest = (
        await session.execute(select(func.count(), func.min(BotTurn.created_at)).where(open_turns))
    ).one()
    TURN_QUEUE.set(depth)
    TURN_OLDEST.set(_age(oldest))
    WEBHOOK_QUEUE.set(
        await session.scalar(select(func.count()).where(WebhookDelivery.status == "pending")) or 0
    )
    WAITING.set(
        await session.scalar(select(func.count()).where(Conversation.status == "waiting")) or 0
    )


def _age(at: datetime | None) -> float:
    if at is None:
        return 0.0
    if at.tzinfo is None:
        at = at.replace(tzinfo=utcnow().tzinfo)
    return max(0.0, (utcnow() - at).total_seconds())
