"""One broker subscription per process, fanned out to the sockets of each app.

Who sees what (see docs in ``realtime/api.py``):

- API-key sockets: every event of their app.
- Agent sockets: every event of their app, except events addressed to named agents
  (``Event.agent_ids``) that do not name them.
- Contact sockets: only events about themselves (``Event.contact_id``) of the types in
  :data:`CONTACT_TYPES`, with conversation payloads reduced to :data:`CONTACT_CONVERSATION_KEYS`
  and contact payloads to the contact's brief; never ``agent.status``,
  ``conversation.notify``, internal assignment details, metadata or team ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Gauge

from relaydesk.events import AUTH_REVOKED, Broker, Event

log = logging.getLogger("relaydesk.realtime")

SOCKETS = Gauge("relaydesk_ws_connections", "Open WebSocket subscriptions")
BROKER_SUBSCRIPTIONS = Gauge(
    "relaydesk_ws_broker_subscriptions", "Broker subscriptions held by the WebSocket hub"
)

#: the event types a contact socket may receive (about its own conversations)
CONTACT_TYPES = frozenset(
    {
        "message.created",
        "typing",
        "conversation.created",
        "conversation.updated",
        "conversation.assigned",
        "contact.updated",
        "conversation.read",
    }
)
#: the conversation fields a contact socket sees (no metadata, team, participants)
CONTACT_CONVERSATION_KEYS = (
    "id",
    "status",
    "channel",
    "title",
    "created_at",
    "updated_at",
    "last_message_at",
)
CONTACT_KEYS = ("id", "external_id", "name", "email", "language")

#: a socket whose unsent frames exceed this is closed (it reconnects and catches up)
MAX_BACKLOG = 1000


def _reduce_conversation(data: dict[str, Any]) -> dict[str, Any]:
    """The conversation as a contact may see it: assignee kind only, no internals."""
    conv = data.get("conversation") if isinstance(data.get("conversation"), dict) else data
    assert isinstance(conv, dict)
    out = {k: conv[k] for k in CONTACT_CONVERSATION_KEYS if k in conv}
    if "id" not in out and "conversation_id" in data:
        out["id"] = data["conversation_id"]
    assignee = conv.get("assignee")
    out["assignee"] = {"type": assignee.get("type")} if isinstance(assignee, dict) else None
    return out


def contact_view(event: Event) -> dict[str, Any] | None:
    """The frame payload a contact socket gets for this event, or None (not for contacts)."""
    if event.type not in CONTACT_TYPES or event.contact_id is None:
        return None
    if event.type == "conversation.read":  # that an agent read, not which one
        reader = event.data.get("reader") or {}
        hidden = reader.get("type") != "contact"
        return {
            **event.data,
            "reader": {"type": reader.get("type"), "id": None if hidden else reader.get("id")},
        }
    if event.type.startswith("conversation."):
        return _reduce_conversation(event.data)
    if event.type == "contact.updated":
        return {k: event.data.get(k) for k in CONTACT_KEYS}
    return event.data


@dataclass(eq=False)
class Subscriber:
    """One socket's view: its principal and the frames waiting to be sent."""

    kind: str  # api_key | agent | contact
    app_id: str
    principal_id: str | None
    token_hash: str | None = None
    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    overflowed: bool = False
    revoked: bool = False
    gone: bool = False  # the client went away

    def is_revoked_by(self, data: dict[str, Any]) -> bool:
        """Whether an ``auth.revoked`` event names this socket's token or principal."""
        if data.get("token_hash") and data.get("token_hash") == self.token_hash:
            return True
        return bool(data.get("id")) and (data.get("kind"), data.get("id")) == (
            self.kind,
            self.principal_id,
        )

    def revoke(self) -> None:
        """Close at once, ahead of any frames still queued."""
        self.revoked = True
        self.queue.put_nowait(None)

    def wants(self, event: Event) -> bool:
        """Whether this socket may see the event at all."""
        if event.app_id != self.app_id:
            return False
        if self.kind == "contact":
            if event.contact_id != self.principal_id:
                return False
            if event.type == "typing":  # no echo of the contact's own typing
                sender = event.data.get("sender") or {}
                own = sender.get("type") == "contact" and sender.get("id") == self.principal_id
                return not own
            return True
        if self.kind == "agent" and event.agent_ids is not None:
            return self.principal_id in event.agent_ids
        return True

    def offer(self, frame: str) -> None:
        """Queue a frame; a socket that fell too far behind is told to go away."""
        if self.overflowed:
            return
        if self.queue.qsize() >= MAX_BACKLOG:
            self.overflowed = True
            self.queue.put_nowait(None)
            return
        self.queue.put_nowait(frame)


def frame(event: Event, data: dict[str, Any]) -> str:
    """The JSON text frame for an event."""
    return json.dumps(
        {"type": event.type, "data": data, "id": event.id, "created_at": event.created_at},
        default=str,
    )


class Hub:
    """Holds one broker subscription while any socket is open and dispatches by app."""

    def __init__(
        self, broker: Broker, *, max_contacts_per_app: int = 0, max_per_principal: int = 0
    ) -> None:
        self._broker = broker
        self._max_contacts_per_app = max_contacts_per_app
        self._max_per_principal = max_per_principal
        self._by_app: dict[str, set[Subscriber]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    @property
    def size(self) -> int:
        return sum(len(s) for s in self._by_app.values())

    def refusal(self, sub: Subscriber) -> str | None:
        """Why this process takes no more sockets like ``sub`` (None: it does).

        One contact, agent or API key holds at most ``max_per_principal`` sockets, and an
        app's contacts (anyone can open a widget session) share ``max_contacts_per_app``,
        so visitors can neither exhaust the process nor crowd out the app's agents.
        """
        subs = self._by_app.get(sub.app_id, ())
        same = sum(1 for s in subs if (s.kind, s.principal_id) == (sub.kind, sub.principal_id))
        if self._max_per_principal and same >= self._max_per_principal:
            return f"at most {self._max_per_principal} open sockets per token holder"
        if sub.kind == "contact" and self._max_contacts_per_app:
            contacts = sum(1 for s in subs if s.kind == "contact")
            if contacts >= self._max_contacts_per_app:
                return f"at most {self._max_contacts_per_app} open contact sockets per app"
        return None

    async def add(self, sub: Subscriber) -> None:
        """Register a socket; returns once the broker subscription is live."""
        self._by_app.setdefault(sub.app_id, set()).add(sub)
        SOCKETS.inc()
        if self._task is None or self._task.done():
            self._ready = asyncio.Event()
            self._task = asyncio.create_task(self._run(self._ready))
            BROKER_SUBSCRIPTIONS.inc()
        await self._ready.wait()

    def remove(self, sub: Subscriber) -> None:
        """Unregister a socket; the last one out ends the broker subscription."""
        subs = self._by_app.get(sub.app_id)
        if subs is None or sub not in subs:
            return
        subs.discard(sub)
        SOCKETS.dec()
        if not subs:
            del self._by_app[sub.app_id]
        if not self._by_app and self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self, ready: asyncio.Event) -> None:
        stream = self._broker.subscribe()
        try:
            first = asyncio.ensure_future(anext(stream))  # type: ignore[arg-type]
            await asyncio.sleep(0)  # the generator has registered its queue once it waits
            ready.set()
            event = await first
            while True:
                self._dispatch(event)
                event = await anext(stream)  # type: ignore[arg-type]
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("websocket hub subscription failed")
            for subs in self._by_app.values():
                for sub in subs:
                    sub.queue.put_nowait(None)
        finally:
            ready.set()
            BROKER_SUBSCRIPTIONS.dec()
            with contextlib.suppress(Exception):
                await stream.aclose()  # type: ignore[attr-defined]

    def _dispatch(self, event: Event) -> None:
        subs = self._by_app.get(event.app_id)
        if not subs:
            return
        if event.type == AUTH_REVOKED:  # steers sockets; never forwarded
            for sub in list(subs):
                if sub.is_revoked_by(event.data):
                    sub.revoke()
            return
        full: str | None = None
        reduced: str | None = None
        reduced_done = False
        for sub in list(subs):
            if not sub.wants(event):
                continue
            if sub.kind == "contact":
                if not reduced_done:
                    view = contact_view(event)
                    reduced = frame(event, view) if view is not None else None
                    reduced_done = True
                if reduced is not None:
                    sub.offer(reduced)
            else:
                if full is None:
                    full = frame(event, event.data)
                sub.offer(full)
