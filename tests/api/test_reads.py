"""Read receipts: how far the contact and each agent have read, live to the other side."""

from __future__ import annotations

import json

import httpx
from websockets.sync.client import connect

from tests.support import Api, Server, assert_error


def _contact(api: Api, server: Server, external_id: str) -> Api:
    s = httpx.post(
        f"{server.url}/api/v1/widget/session",
        json={"app_id": api.app_id, "external_id": external_id},
    )
    return api.as_token(s.json()["token"])


def test_read_marks_move_forward_and_reach_the_other_side(api: Api, server: Server) -> None:
    api.agent("ann@example.com", name="Ann", password="ann-password-1", status="online")
    ann = api.login("ann@example.com", "ann-password-1")
    visitor = _contact(api, server, "v-read")
    conv = visitor.ok(visitor.post("/api/v1/conversations", {"message": {"text": "hello"}}), 201)
    cid = conv["id"]
    first = visitor.messages(cid)[-1]
    socket_url = server.url.replace("http://", "ws://") + f"/api/v1/ws?token={visitor.token}"
    with connect(socket_url, open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "ready"
        reply = ann.ok(ann.post(f"/api/v1/conversations/{cid}/messages", {"text": "hi!"}), 201)
        mark = ann.ok(ann.post(f"/api/v1/conversations/{cid}/read"))  # the latest message
        assert mark["message_id"] == reply["id"] and mark["reader"]["type"] == "agent"
        while True:  # the visitor hears that an agent read it, not which one
            frame = json.loads(ws.recv(timeout=10))
            if frame["type"] == "conversation.read":
                break
        assert frame["data"]["message_id"] == reply["id"]
        assert frame["data"]["reader"] == {"type": "agent", "id": None}
    # a mark never moves back; the contact's own mark is separate
    again = ann.ok(ann.post(f"/api/v1/conversations/{cid}/read", {"message_id": first["id"]}))
    assert again["message_id"] == reply["id"]
    visitor.ok(visitor.post(f"/api/v1/conversations/{cid}/read", {"message_id": first["id"]}))
    staff_view = {
        r["reader"]["type"]: r
        for r in api.ok(api.get(f"/api/v1/conversations/{cid}/reads"))["items"]
    }
    assert staff_view["agent"]["reader"]["id"] and staff_view["agent"]["message_id"] == reply["id"]
    assert staff_view["contact"]["message_id"] == first["id"]
    visitor_view = visitor.ok(visitor.get(f"/api/v1/conversations/{cid}/reads"))["items"]
    assert {"type": "agent", "id": None} in [r["reader"] for r in visitor_view]


def test_read_marks_refuse_bad_input(api: Api, server: Server) -> None:
    visitor = _contact(api, server, "v-bad")
    conv = visitor.ok(visitor.post("/api/v1/conversations", {"message": {"text": "x"}}), 201)
    url = f"/api/v1/conversations/{conv['id']}/read"
    assert_error(visitor.post(url, {"message_id": "msg_nope"}), 404, "unknown_message")
    assert_error(visitor.post(url, {"message_id": 5}), 422)
    assert_error(api.post(url), 403, "reader_required")  # an API key is nobody reading
    other = _contact(api, server, "v-other")
    assert_error(other.post(url), 404)
    assert visitor.ok(visitor.get(f"/api/v1/conversations/{conv['id']}/reads"))["items"] == []
