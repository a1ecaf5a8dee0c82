"""A widget session cannot take over a contact the app vouched for, and never rewrites a
profile unverified; anonymous visitors get server-assigned ids."""

from __future__ import annotations

import hashlib
import hmac

import httpx

from tests.support import Api, Server, assert_error

SECRET = "identity-secret-for-tests"


def _session(server: Server, body: dict) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/widget/session", json=body, timeout=30)


def test_an_unverified_session_cannot_take_over_a_contact_the_app_created(
    api: Api, server: Server
) -> None:
    # the app's backend starts a conversation for its customer "cust-42"
    conv = api.conversation("cust-42", title="Refund")
    api.say(conv["id"], "my card number ends in 4242")
    contact_id = conv["contact"]["id"]
    api.ok(api.patch(f"/api/v1/contacts/{contact_id}", {"name": "Real Name", "email": "r@x.io"}))

    # someone who knows (or guesses) the id asks for a session without a user_hash
    body = {"app_id": api.app_id, "external_id": "cust-42", "name": "Mallory"}
    assert_error(_session(server, body), 401, "identity_verification_required")
    contact = api.ok(api.get(f"/api/v1/contacts/{contact_id}"))
    assert (contact["name"], contact["email"]) == ("Real Name", "r@x.io")  # nothing changed

    # with the app's verification secret set, the site's server vouches with a user_hash
    api.ok(api.patch("/api/v1/app", {"verification_secret": SECRET}))
    good = hmac.new(SECRET.encode(), b"cust-42", hashlib.sha256).hexdigest()
    ok = _session(server, {**body, "name": "Real Name", "user_hash": good})
    assert ok.status_code == 200, ok.text
    assert ok.json()["contact"]["id"] == contact_id
    mine = httpx.get(
        f"{server.url}/api/v1/conversations",
        headers={"authorization": f"Bearer {ok.json()['token']}"},
    ).json()["items"]
    assert [c["id"] for c in mine] == [conv["id"]]


def test_unverified_sessions_never_rewrite_a_profile(api: Api, server: Server) -> None:
    first = _session(server, {"app_id": api.app_id, "external_id": "v-1", "name": "Ann"})
    assert first.status_code == 200, first.text
    assert first.json()["contact"]["name"] == "Ann"  # a new contact takes the given fields
    again = _session(
        server, {"app_id": api.app_id, "external_id": "v-1", "name": "Eve", "email": "e@x.io"}
    )
    assert again.status_code == 200, again.text
    contact = api.ok(api.get(f"/api/v1/contacts/{first.json()['contact']['id']}"))
    assert (contact["name"], contact["email"]) == ("Ann", None)


def test_anonymous_visitors_get_unguessable_server_assigned_ids(api: Api, server: Server) -> None:
    a = _session(server, {"app_id": api.app_id}).json()["contact"]
    b = _session(server, {"app_id": api.app_id}).json()["contact"]
    assert a["id"] != b["id"] and a["external_id"] != b["external_id"]
    for contact in (a, b):
        assert contact["external_id"].startswith("visitor-")
        assert len(contact["external_id"]) >= 40  # 24 random bytes
    # the device that holds the id resumes as the same contact
    back = _session(server, {"app_id": api.app_id, "external_id": a["external_id"]})
    assert back.json()["contact"]["id"] == a["id"]
