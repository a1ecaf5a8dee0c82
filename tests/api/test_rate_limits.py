"""Rate limits on the public side: logins, widget sessions, contact requests (429)."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from tests.support import Api, assert_error, new_app, running_server

# hour-long windows: a window boundary cannot fall in the middle of a test
TIGHT = {
    "RELAYDESK_RATE_LIMIT_LOGIN": "3/3600",
    "RELAYDESK_RATE_LIMIT_LOGIN_ADDRESS": "5/3600",
    "RELAYDESK_RATE_LIMIT_WIDGET_SESSION": "2/3600",
    "RELAYDESK_RATE_LIMIT_CONTACT": "5/3600",
}


def _limited(response: httpx.Response) -> None:
    error = assert_error(response, 429, "rate_limited")
    retry = int(response.headers["retry-after"])
    assert 1 <= retry <= 3601 and error["details"]["retry_after_s"] == retry


def test_logins_widget_sessions_and_contacts_are_rate_limited(
    fresh_database: str, tmp_path: Path
) -> None:
    with running_server(fresh_database, workdir=tmp_path, env=TIGHT) as server:
        api = new_app(server.url)
        email = f"{uuid.uuid4().hex[:8]}@example.com"
        api.agent(email, name="Ann", password="the right one")
        anon = httpx.Client(base_url=server.url)
        wrong = {"email": email, "password": "guess"}
        for _ in range(3):
            assert_error(anon.post("/api/v1/auth/login", json=wrong), 401)
        _limited(anon.post("/api/v1/auth/login", json=wrong))
        # even the right password waits: guessing must not go on
        _limited(anon.post("/api/v1/auth/login", json={**wrong, "password": "the right one"}))
        # another account is counted on its own
        assert_error(anon.post("/api/v1/auth/login", json={**wrong, "email": "x@example.com"}), 401)
        # but one address spraying many emails is stopped too (5 per address here)
        assert_error(anon.post("/api/v1/auth/login", json={**wrong, "email": "y@example.com"}), 401)
        _limited(anon.post("/api/v1/auth/login", json={**wrong, "email": "z@example.com"}))

        sessions = [
            anon.post("/api/v1/widget/session", json={"app_id": api.app_id, "external_id": f"v{i}"})
            for i in range(3)
        ]
        assert [r.status_code for r in sessions[:2]] == [200, 200]
        _limited(sessions[2])

        contact = Api(server.url, sessions[0].json()["token"])
        conv = contact.ok(contact.post("/api/v1/conversations", {"message": {"text": "hi"}}), 201)
        for _ in range(4):
            contact.ok(contact.get(f"/api/v1/conversations/{conv['id']}/messages"))
        _limited(contact.post(f"/api/v1/conversations/{conv['id']}/messages", {"text": "more"}))
        # the refused message was not stored; staff are not limited
        assert [
            m["text"] for m in api.messages(conv["id"]) if m["sender"]["type"] == "contact"
        ] == ["hi"]
        for _ in range(10):
            api.ok(api.get("/api/v1/conversations"))


def test_two_processes_share_a_limit_through_redis(
    fresh_database: str, redis_url: str, tmp_path: Path
) -> None:
    # the per-address limit is left wide here: its Redis key (the loopback address) is shared
    # by every test server and run within the hour
    env = {**TIGHT, "RELAYDESK_REDIS_URL": redis_url, "RELAYDESK_RATE_LIMIT_LOGIN_ADDRESS": "0/60"}
    with (
        running_server(fresh_database, workdir=tmp_path / "a", env=env) as a,
        running_server(fresh_database, workdir=tmp_path / "b", env=env) as b,
    ):
        api = new_app(a.url)
        email = f"{uuid.uuid4().hex[:8]}@example.com"
        api.agent(email, name="Bo", password="the right one")
        wrong = {"email": email, "password": "guess"}
        for base in (a.url, b.url, a.url):
            assert_error(httpx.post(f"{base}/api/v1/auth/login", json=wrong), 401)
        _limited(httpx.post(f"{b.url}/api/v1/auth/login", json=wrong))
