"""A new password ends the agent's other sessions; one's own needs the current password."""

from __future__ import annotations

import json
import uuid
from typing import Any

from websockets.sync.client import connect

from tests.realtime.wsclient import closed_code, ws_url
from tests.support import Api, Server, assert_error

OLD, NEW = "correct horse battery", "a brand new passphrase"


def _agent(api: Api, role: str = "agent") -> dict[str, Any]:
    return api.agent(f"{uuid.uuid4().hex[:8]}@example.com", password=OLD, role=role)


def test_changing_ones_own_password_needs_the_current_one_and_ends_other_sessions(
    api: Api, server: Server
) -> None:
    agent = _agent(api)
    laptop, phone = api.login(agent["email"], OLD), api.login(agent["email"], OLD)
    path = f"/api/v1/agents/{agent['id']}"

    # without, or with a wrong, current password: refused, and nothing changed
    assert_error(laptop.patch(path, {"password": NEW}), 403, "current_password_invalid")
    wrong = {"password": NEW, "current_password": "not it"}
    assert_error(laptop.patch(path, wrong), 403, "current_password_invalid")
    assert phone.get("/api/v1/agents/me").status_code == 200
    assert (
        api.post("/api/v1/auth/login", {"email": agent["email"], "password": NEW}).status_code
        == 401
    )

    with connect(ws_url(server.url, phone.token), open_timeout=10) as phone_socket:
        assert json.loads(phone_socket.recv(timeout=10))["type"] == "ready"
        right = {"password": NEW, "current_password": OLD}
        assert laptop.ok(laptop.patch(path, right))["id"] == agent["id"]
        assert closed_code(phone_socket) == 4401  # the other session's socket closes

    assert_error(phone.get("/api/v1/agents/me"), 401)  # the other session is over
    assert laptop.ok(laptop.get("/api/v1/agents/me"))["id"] == agent["id"]  # this one stays
    assert (
        api.post("/api/v1/auth/login", {"email": agent["email"], "password": OLD}).status_code
        == 401
    )
    assert api.login(agent["email"], NEW).get("/api/v1/agents/me").status_code == 200


def test_an_admin_resetting_a_password_ends_every_session_of_that_agent(api: Api) -> None:
    admin = api.login(_agent(api, role="admin")["email"], OLD)
    agent = _agent(api)
    session = api.login(agent["email"], OLD)
    # admins set another agent's password without knowing it; an API key too
    admin.ok(admin.patch(f"/api/v1/agents/{agent['id']}", {"password": NEW}))
    assert_error(session.get("/api/v1/agents/me"), 401)
    again = api.login(agent["email"], NEW)
    api.ok(api.patch(f"/api/v1/agents/{agent['id']}", {"password": OLD + "!"}))
    assert_error(again.get("/api/v1/agents/me"), 401)
    assert admin.get("/api/v1/agents/me").status_code == 200  # the admin's own session stays
    # other fields change without a current password and end no session
    mine = api.login(agent["email"], OLD + "!")
    me = mine.ok(mine.get("/api/v1/agents/me"))
    assert (
        mine.ok(mine.patch(f"/api/v1/agents/{me['id']}", {"name": "Renamed"}))["name"] == "Renamed"
    )
    assert mine.get("/api/v1/agents/me").status_code == 200
