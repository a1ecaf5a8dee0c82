"""The event socket through a real server: auth, visibility, commit-only, catch-up."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.realtime.wsclient import EventSocket, closed_code, ws_url
from tests.support import ADMIN_TOKEN, Api, Server, new_app, wait_until


def agent_client(api: Api, role: str = "agent") -> tuple[Api, dict[str, Any]]:
    """An agent of the app and a client logged in as it."""
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    agent = api.agent(email, password="correct horse battery", role=role, status="online")
    return api.login(email, "correct horse battery"), agent


def contact_token(api: Api, external_id: str) -> tuple[str, dict[str, Any]]:
    """A widget session token for a contact of the app."""
    data = api.ok(
        api.post("/api/v1/widget/session", {"app_id": api.app_id, "external_id": external_id})
    )
    return data["token"], data["contact"]


def is_message(text: str) -> Any:
    return lambda f: f["type"] == "message.created" and f["data"]["text"] == text


def closed_with(url: str) -> tuple[int, str]:
    """The close code and reason the server answers this socket URL with."""
    with connect(url, open_timeout=10) as ws, pytest.raises(ConnectionClosed) as info:
        ws.recv(timeout=10)
    assert info.value.rcvd is not None
    return info.value.rcvd.code, info.value.rcvd.reason


def test_bad_tokens_are_closed_with_4401_and_operator_with_4403(api: Api, server: Server) -> None:
    assert closed_with(ws_url(server.url, "not-a-token"))[0] == 4401
    code, reason = closed_with(ws_url(server.url, ADMIN_TOKEN))
    assert code == 4403 and reason
    with connect(ws_url(server.url), open_timeout=10) as ws:  # first frame not an auth frame
        ws.send('{"type": "hello"}')
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=10)
        assert info.value.rcvd is not None and info.value.rcvd.code == 4401


def test_api_key_socket_receives_committed_events_and_answers_pings(
    api: Api, server: Server
) -> None:
    with EventSocket(server.url, api.token or "") as sock:
        assert sock.ready and sock.ready["data"]["app_id"] == api.app_id
        sock.send({"type": "ping"})
        assert sock.recv()["type"] == "pong"
        conv = api.conversation("ws-1", message={"text": "hello socket"})
        created = sock.until(lambda f: f["type"] == "conversation.created")
        assert (
            created["data"]["id"] == conv["id"]
            and created["data"]["contact"]["external_id"] == "ws-1"
        )
        msg = sock.until(is_message("hello socket"))
        assert msg["data"]["conversation_id"] == conv["id"]
        assert re.fullmatch(r"evt_\w+", msg["id"]) and msg["created_at"].endswith("Z")
        api.ok(api.patch(f"/api/v1/conversations/{conv['id']}", {"title": "Renamed"}))
        updated = sock.until(lambda f: f["type"] == "conversation.updated")
        assert updated["data"]["title"] == "Renamed"


def test_first_frame_auth_and_agent_sees_agent_status(api: Api, server: Server) -> None:
    agent_api, agent = agent_client(api)
    with connect(ws_url(server.url), open_timeout=10) as ws:
        ws.send(f'{{"type": "auth", "token": "{agent_api.token}"}}')
        assert '"ready"' in str(ws.recv(timeout=10))
        agent_api.ok(agent_api.put("/api/v1/agents/me/status", {"status": "away"}))
        while True:
            frame = str(ws.recv(timeout=10))
            if '"agent.status"' in frame:
                assert agent["id"] in frame and '"away"' in frame
                break


def test_rejected_request_publishes_nothing(api: Api, server: Server) -> None:
    conv = api.conversation()
    with EventSocket(server.url, api.token or "") as sock:
        r = api.post(
            f"/api/v1/conversations/{conv['id']}/messages",
            {"sender": {"type": "contact"}, "text": "x" * 10_001},
        )
        assert r.status_code == 422
        r = api.post(
            f"/api/v1/conversations/{conv['id']}/messages", {"text": "no sender with an API key"}
        )
        assert r.status_code == 422
        api.say(conv["id"], "the valid one")
        frames = [f for f in sock.drain(1.0) if f["type"] == "message.created"]
        assert [f["data"]["text"] for f in frames] == ["the valid one"]


def test_tenants_never_see_each_others_events(api: Api, server: Server) -> None:
    other = new_app(server.url, "other tenant")
    with EventSocket(server.url, other.token or "") as theirs:
        api.conversation(message={"text": "secret of app one"})
        other.conversation(message={"text": "app two's own"})
        frames = theirs.drain(1.0)
        assert frames and all(
            f["type"] != "message.created" or f["data"]["text"] == "app two's own" for f in frames
        )
        assert any(f["type"] == "message.created" for f in frames)
        assert "secret of app one" not in str(frames)


def test_contact_socket_sees_only_its_own_conversations_reduced(api: Api, server: Server) -> None:
    token, contact = contact_token(api, "visitor-1")
    mine = api.conversation("visitor-1", metadata={"crm": "internal note"})
    theirs = api.conversation("visitor-2")
    agent_api, _ = agent_client(api)
    with EventSocket(server.url, token) as sock:
        assert sock.ready and sock.ready["data"]["principal"] == {
            "type": "contact",
            "id": contact["id"],
        }
        api.say(theirs["id"], "not for visitor 1")
        agent_api.ok(agent_api.put("/api/v1/agents/me/status", {"status": "away"}))
        api.ok(api.patch(f"/api/v1/conversations/{mine['id']}", {"title": "Your order"}))
        agent_api.say(mine["id"], "hello visitor 1", sender="agent")
        msg = sock.until(is_message("hello visitor 1"))
        assert msg["data"]["conversation_id"] == mine["id"]
        sock.drain(0.7)
        seen = sock.history
    types = {f["type"] for f in seen}
    assert "agent.status" not in types and "conversation.notify" not in types
    assert "not for visitor 1" not in str(seen) and theirs["id"] not in str(seen)
    # the conversation reaches the contact without internals (metadata, team, participants)
    updated = [f for f in seen if f["type"] == "conversation.updated"]
    assert updated, seen
    data = updated[0]["data"]
    assert data["id"] == mine["id"] and data["title"] == "Your order"
    assert "metadata" not in data and "team_id" not in data and "participants" not in data
    assert data["assignee"] is None or set(data["assignee"]) == {"type"}
    assert set(data) <= {
        "id",
        "status",
        "channel",
        "title",
        "created_at",
        "updated_at",
        "last_message_at",
        "assignee",
    }


def test_reconnecting_client_catches_up_on_missed_messages(api: Api, server: Server) -> None:
    conv = api.conversation()
    cid = conv["id"]
    with EventSocket(server.url, api.token or "") as sock:
        first = api.say(cid, "one")
        last_seen = sock.until(is_message("one"))["data"]["id"]
        assert last_seen == first["id"]
    missed = [api.say(cid, "two")["id"], api.say(cid, "three")["id"]]  # while disconnected
    with EventSocket(server.url, api.token or "") as sock:
        # the pattern: subscribe, wait for ready, then fetch what came after the last seen id
        caught_up = api.ok(
            api.get(f"/api/v1/conversations/{cid}/messages", params={"after": last_seen})
        )["items"]
        assert [m["id"] for m in caught_up] == missed
        api.say(cid, "four")
        assert sock.until(lambda f: f["type"] == "message.created")["data"]["text"] == "four"


def metric(server: Server, name: str) -> float:
    text = httpx.get(f"{server.url}/metrics").text
    found = re.search(rf"^{name} (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_closed_sockets_release_their_subscription(api: Api, server: Server) -> None:
    before = metric(server, "relaydesk_ws_connections")
    socks = [EventSocket(server.url, api.token or "") for _ in range(3)]
    assert metric(server, "relaydesk_ws_connections") == before + 3
    assert metric(server, "relaydesk_ws_broker_subscriptions") == 1  # one per process, shared
    for s in socks:
        s.close()
    wait_until(lambda: metric(server, "relaydesk_ws_connections") == before)
    if before == 0:
        wait_until(lambda: metric(server, "relaydesk_ws_broker_subscriptions") == 0)


def test_revoking_a_token_closes_its_open_sockets(api: Api, server: Server) -> None:
    # logout closes the socket opened with that agent token, not the agent's other sessions
    agent, _ = agent_client(api)
    other_session = api.login(
        agent.ok(agent.get("/api/v1/agents/me"))["email"], "correct horse battery"
    )
    with (
        connect(ws_url(server.url, agent.token), open_timeout=10) as mine,
        connect(ws_url(server.url, other_session.token), open_timeout=10) as theirs,
    ):
        assert json.loads(mine.recv(timeout=10))["type"] == "ready"
        assert json.loads(theirs.recv(timeout=10))["type"] == "ready"
        agent.ok(agent.post("/api/v1/auth/logout"), 204)
        assert closed_code(mine) == 4401
        api.say(api.conversation()["id"], "still listening?")
        assert wait_for_frame(theirs, lambda f: f["type"] == "message.created")
    # a revoked API key's socket is closed
    key = api.ok(api.post("/api/v1/api-keys", {"name": "temp"}), 201)
    with connect(ws_url(server.url, key["key"]), open_timeout=10) as sock:
        assert json.loads(sock.recv(timeout=10))["type"] == "ready"
        api.ok(api.delete(f"/api/v1/api-keys/{key['id']}"), 204)
        assert closed_code(sock) == 4401
    # a deleted agent's sockets are closed, and the token no longer opens one
    gone, gone_agent = agent_client(api)
    with connect(ws_url(server.url, gone.token), open_timeout=10) as sock:
        assert json.loads(sock.recv(timeout=10))["type"] == "ready"
        api.ok(api.delete(f"/api/v1/agents/{gone_agent['id']}"), 204)
        assert closed_code(sock) == 4401
    assert closed_with(ws_url(server.url, gone.token))[0] == 4401


def wait_for_frame(sock: Any, check: Any) -> dict[str, Any]:
    """The first frame (skipping pings) that passes ``check``."""
    while True:
        got = json.loads(sock.recv(timeout=10))
        if check(got):
            return got  # type: ignore[no-any-return]
