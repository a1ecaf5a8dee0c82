"""The hub's visibility rules for events no HTTP call emits yet (routing's agent_ids, notify)."""

from __future__ import annotations

from relaydesk.events import Event
from relaydesk.realtime.hub import Subscriber, contact_view


def sub(kind: str, pid: str | None = "p1", app: str = "app1") -> Subscriber:
    return Subscriber(kind=kind, app_id=app, principal_id=pid)


def test_agent_ids_limit_agent_sockets_but_not_api_keys() -> None:
    ev = Event(type="conversation.notify", app_id="app1", data={"id": "c1"}, agent_ids=["a1", "a2"])
    assert sub("agent", "a1").wants(ev) and not sub("agent", "a3").wants(ev)
    assert sub("api_key", "key1").wants(ev)
    assert not sub("agent", "a1", app="app2").wants(ev)


def test_contacts_never_get_notify_status_or_assignment_internals() -> None:
    notify = Event(type="conversation.notify", app_id="app1", data={"id": "c1"}, contact_id="p1")
    assert contact_view(notify) is None
    status = Event(type="agent.status", app_id="app1", data={"id": "a1"})
    assert not sub("contact").wants(status) and contact_view(status) is None
    assigned = Event(
        type="conversation.assigned",
        app_id="app1",
        contact_id="p1",
        data={
            "conversation": {
                "id": "c1",
                "status": "open",
                "assignee": {"type": "agent", "id": "a1"},
                "team_id": "t1",
                "metadata": {"x": 1},
            },
            "reason": "round_robin",
            "detail": "agent a1 had the lowest load",
        },
    )
    assert contact_view(assigned) == {"id": "c1", "status": "open", "assignee": {"type": "agent"}}
    own_typing = Event(
        type="typing",
        app_id="app1",
        contact_id="p1",
        data={"conversation_id": "c1", "sender": {"type": "contact", "id": "p1"}},
    )
    assert not sub("contact").wants(own_typing) and sub("agent").wants(own_typing)
    other = Event(type="message.created", app_id="app1", contact_id="p2", data={"text": "x"})
    assert not sub("contact").wants(other)
