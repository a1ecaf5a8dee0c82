"""Auto-resolve of answered, idle conversations (once across processes, never while the
contact waits) and satisfaction ratings asked for on resolve and given by the contact."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.realtime.wsclient import EventSocket
from tests.support import Api, Server, assert_error, new_app, wait_until

FAST_SWEEP = {"RELAYDESK_AUTO_RESOLVE_POLL_S": "0.2"}
BYE = "We're closing this for now: write again any time."


@pytest.fixture()
def two(shared_database: str, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """Two processes on one database, both sweeping."""
    a = Server(database_url=shared_database, env=FAST_SWEEP, workdir=tmp_path / "a").start()
    b = Server(database_url=shared_database, env=FAST_SWEEP, workdir=tmp_path / "b").start()
    yield a, b
    a.stop()
    b.stop()


def _contact(api: Api, external_id: str) -> Api:
    body = {"app_id": api.app_id, "external_id": external_id}
    session = api.ok(httpx.post(f"{api.base_url}/api/v1/widget/session", json=body))
    return api.as_token(session["token"])


def _status(api: Api, conversation_id: str) -> str:
    return str(api.ok(api.get(f"/api/v1/conversations/{conversation_id}"))["status"])


def _system(api: Api, conversation_id: str) -> list[dict[str, Any]]:
    return [m for m in api.messages(conversation_id) if m["sender"]["type"] == "system"]


def test_answered_idle_conversations_are_resolved_once_and_waiting_contacts_never(
    two: tuple[Server, Server],
) -> None:
    a, b = two
    api = new_app(a.url)
    kim = api.agent(name="Kim", status="online")
    api.routing(auto_resolve={"idle_seconds": 2, "message": BYE}, welcome_message="Hi there!")
    silent = api.conversation()  # opened, greeted, never written in: nobody was answered
    answered = api.conversation(message={"text": "where is my order?"})
    waiting = api.conversation(message={"text": "hello? anyone?"})
    wrote_last = api.conversation(message={"text": "first question"})
    for conv in (answered, wrote_last):
        api.say(conv["id"], "Let me check.", sender="agent", sender_extra={"id": kim["id"]})
    api.say(wrote_last["id"], "one more thing")  # the contact spoke last: still waiting

    # no Redis here: each socket hears what its own process did, so together they hear
    # every resolution exactly once
    with EventSocket(a.url, api.token or "") as on_a, EventSocket(b.url, api.token or "") as on_b:
        wait_until(lambda: _status(api, answered["id"]) == "resolved", timeout=15)
        time.sleep(2.5)  # several more sweeps of both processes
        heard = [
            f["data"]["id"]
            for sock in (on_a, on_b)
            for f in sock.drain(0.5)
            if f["type"] == "conversation.updated" and f["data"]["status"] == "resolved"
        ]
    assert heard == [answered["id"]]
    assert [m["text"] for m in _system(api, answered["id"])] == ["Hi there!", BYE]  # BYE once
    assert api.messages(answered["id"])[-1]["text"] == BYE
    assert _status(api, waiting["id"]) == "open"
    assert _status(api, silent["id"]) == "open"
    assert _status(api, wrote_last["id"]) == "open"
    assert not any(m["text"] == BYE for c in (waiting, wrote_last) for m in api.messages(c["id"]))

    # the contact writing again reopens it, with Kim
    api.say(answered["id"], "it still hasn't come")
    reopened = api.ok(api.get(f"/api/v1/conversations/{answered['id']}"))
    assert reopened["status"] == "open"


def test_auto_resolve_is_off_by_default_and_validated(two: tuple[Server, Server]) -> None:
    api = new_app(two[0].url)
    assert api.ok(api.get("/api/v1/routing"))["auto_resolve"] is None
    kim = api.agent(name="Kim", status="online")
    conv = api.conversation(message={"text": "hi"})
    api.say(conv["id"], "Hello!", sender="agent", sender_extra={"id": kim["id"]})
    for bad in ({"idle_seconds": 0}, {"idle_seconds": "soon"}, {"message": "x"}):
        assert_error(api.put("/api/v1/routing", {"auto_resolve": bad}), 422)
    time.sleep(1.0)
    assert _status(api, conv["id"]) == "open"


def test_resolving_asks_for_a_rating_that_the_contact_gives_and_changes(
    two: tuple[Server, Server],
) -> None:
    a, _ = two
    api = new_app(a.url)
    kim = api.agent(name="Kim", status="online")
    api.routing(csat={"enabled": True, "question": "How did we do?"})
    ann = _contact(api, "ann")
    conv = ann.ok(ann.post("/api/v1/conversations", {"message": {"text": "refund please"}}), 201)
    path = f"/api/v1/conversations/{conv['id']}/rating"
    assert_error(ann.post(path, {"score": 5}), 409, "not_resolved")
    assert_error(ann.get(path), 404, "no_rating")

    api.ok(api.patch(f"/api/v1/conversations/{conv['id']}", {"status": "resolved"}))
    ask = ann.messages(conv["id"])[-1]
    assert ask["sender"]["type"] == "system" and ask["text"] == "How did we do?"
    assert ask["metadata"] == {"type": "csat_request"}

    for bad in ({"score": 0}, {"score": 6}, {"score": "five"}, {}):
        assert_error(ann.post(path, bad), 422)
    with EventSocket(a.url, api.token or "") as sock:
        first = ann.post(path, {"score": 2, "comment": "slow"})
        assert first.status_code == 201, first.text
        rated = sock.until(lambda f: f["type"] == "conversation.rated")
        assert rated["data"]["score"] == 2
    assert first.json()["agent_id"] == kim["id"]
    again = ann.post(path, {"score": 4, "comment": "actually fine"})
    assert again.status_code == 200, again.text
    assert api.ok(api.get(path))["score"] == 4
    assert ann.ok(ann.get(path))["comment"] == "actually fine"

    bob = _contact(api, "bob")
    assert_error(bob.post(path, {"score": 1}), 404)
    assert_error(bob.get(path), 404)
    other = new_app(a.url, name="another company")
    assert_error(other.get(path), 404)
    lee_row = api.agent(name="Lee", password="lees passphrase", email="lee@example.com")
    lee = api.login(lee_row["email"], "lees passphrase")
    assert_error(lee.post(path, {"score": 5}), 403)
    assert lee.ok(lee.get(path))["score"] == 4  # agents see it
    assert "conversation.rated" in api.ok(api.get("/api/v1/webhooks/event-types"))["items"]

    # reopened and resolved again: a new resolution, rated anew
    ann.say(conv["id"], "one more question")
    api.ok(api.patch(f"/api/v1/conversations/{conv['id']}", {"status": "resolved"}))
    assert_error(ann.get(path), 404, "no_rating")
    assert ann.post(path, {"score": 5}).status_code == 201
    asks = [m for m in _system(api, conv["id"]) if m["metadata"] == {"type": "csat_request"}]
    assert len(asks) == 2


def test_auto_resolve_asks_for_a_rating_too_and_no_csat_means_no_question(
    two: tuple[Server, Server],
) -> None:
    api = new_app(two[0].url)
    kim = api.agent(name="Kim", status="online")
    quiet = new_app(two[0].url, name="no csat")
    quiet_agent = quiet.agent(name="Kai", status="online")
    api.routing(auto_resolve={"idle_seconds": 1, "message": BYE}, csat={"enabled": True})
    quiet.routing(auto_resolve={"idle_seconds": 1})
    conv = api.conversation(message={"text": "hi"})
    api.say(conv["id"], "Hello!", sender="agent", sender_extra={"id": kim["id"]})
    other = quiet.conversation(message={"text": "hi"})
    quiet.say(other["id"], "Hello!", sender="agent", sender_extra={"id": quiet_agent["id"]})
    wait_until(lambda: _status(api, conv["id"]) == "resolved", timeout=15)
    wait_until(lambda: _status(quiet, other["id"]) == "resolved", timeout=15)
    texts = [m["text"] for m in _system(api, conv["id"])]
    assert texts == [BYE, "How would you rate this conversation?"]
    assert _system(quiet, other["id"]) == []  # no message configured, no CSAT
