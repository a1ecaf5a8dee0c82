"""Request and response bodies of ``/api/v1/webhooks``."""

from __future__ import annotations

from typing import Annotated

from pydantic import AnyHttpUrl, Field, StringConstraints, UrlConstraints, field_validator

from relaydesk.schemas import In, Out, Timestamp

#: the event types a webhook may subscribe to ("*" = all of them, including ones added later);
#: ``typing`` is real-time only and never sent to webhooks
WEBHOOK_EVENT_TYPES = (
    "conversation.created",
    "conversation.updated",
    "conversation.assigned",
    "conversation.notify",
    "message.created",
    "agent.status",
    "contact.updated",
    "conversation.read",
    "conversation.rated",
)
ALL_EVENTS = "*"

WebhookUrl = Annotated[
    AnyHttpUrl, UrlConstraints(max_length=2000, allowed_schemes=["http", "https"])
]
Secret = Annotated[str, StringConstraints(min_length=16, max_length=256)]


class WebhookIn(In):
    url: WebhookUrl
    events: list[str] = Field(min_length=1, max_length=len(WEBHOOK_EVENT_TYPES) + 1)
    secret: Secret

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        unknown = [e for e in value if e != ALL_EVENTS and e not in WEBHOOK_EVENT_TYPES]
        if unknown:
            known = ", ".join((ALL_EVENTS, *WEBHOOK_EVENT_TYPES))
            raise ValueError(f"unknown event type(s) {', '.join(unknown)}; known: {known}")
        return list(dict.fromkeys(value))


class WebhookOut(Out):
    """A webhook as shown: the secret is never returned."""

    id: str
    url: str
    events: list[str]
    created_at: Timestamp


class DeliveryOut(Out):
    id: str
    event_id: str
    event_type: str
    status: str  # pending | done | failed
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: Timestamp | None
    created_at: Timestamp
    delivered_at: Timestamp | None
