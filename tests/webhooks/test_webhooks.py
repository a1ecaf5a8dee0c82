"""Outbound webhooks through a real server: CRUD, validation, signed delivery, retries, restarts."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from typing import Any

from tests.support import Api, Server, assert_error, new_app, wait_until
from tests.webhooks.receiver import Receiver, verify_signature

SECRET = "whsec-test-0123456789abcdef"


def add_webhook(api: Api, url: str, events: list[str], secret: str = SECRET) -> dict[str, Any]:
    body = {"url": url, "events": events, "secret": secret}
    return api.ok(api.post("/api/v1/webhooks", body), 201)  # type: ignore[no-any-return]


def deliveries(api: Api, webhook_id: str) -> list[dict[str, Any]]:
    return api.ok(api.get(f"/api/v1/webhooks/{webhook_id}/deliveries"))["items"]  # type: ignore[no-any-return]


def stored_secret(database_url: str, webhook_id: str) -> str:
    """The secret column as stored in the database."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1]
        with sqlite3.connect(path) as conn:
            row = conn.execute("SELECT secret_enc FROM webhooks WHERE id = ?", (webhook_id,))
            return str(row.fetchone()[0])
    import asyncpg

    async def read() -> str:
        conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return str(
                await conn.fetchval("SELECT secret_enc FROM webhooks WHERE id = $1", webhook_id)
            )
        finally:
            await conn.close()

    return asyncio.run(read())


def test_crud_and_the_secret_is_never_returned(api: Api, database_url: str) -> None:
    hook = add_webhook(api, "https://hooks.example.com/relaydesk", ["message.created", "*"])
    assert set(hook) == {"id", "url", "events", "created_at"}
    assert hook["events"] == ["message.created", "*"]
    listed = api.ok(api.get("/api/v1/webhooks"))["items"]
    assert [h["id"] for h in listed] == [hook["id"]]
    got = api.ok(api.get(f"/api/v1/webhooks/{hook['id']}"))
    assert got == hook
    for text in (str(listed), str(got), api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").text):
        assert SECRET not in text
    at_rest = stored_secret(database_url, hook["id"])
    assert SECRET not in at_rest and len(at_rest) > 40  # encrypted, not hashed-away
    assert api.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 204
    assert_error(api.get(f"/api/v1/webhooks/{hook['id']}"), 404, "not_found")
    assert_error(api.delete(f"/api/v1/webhooks/{hook['id']}"), 404)


def test_invalid_webhooks_are_refused_with_422(api: Api) -> None:
    good = {"url": "https://hooks.example.com/x", "events": ["message.created"], "secret": SECRET}
    bad_bodies = [
        {**good, "url": "not a url"},
        {**good, "url": "ftp://hooks.example.com/x"},
        {**good, "url": "https://" + "a" * 2100 + ".com"},
        {**good, "events": ["message.deleted"]},
        {**good, "events": ["typing"]},
        {**good, "events": []},
        {**good, "events": "message.created"},
        {**good, "secret": "short"},
        {k: v for k, v in good.items() if k != "secret"},
        {**good, "surprise": 1},
    ]
    for body in bad_bodies:
        assert_error(api.post("/api/v1/webhooks", body), 422, "validation_error")
    error = assert_error(api.post("/api/v1/webhooks", {**good, "events": ["nope"]}), 422)
    assert "nope" in error["message"] and "message.created" in error["message"]
    assert api.ok(api.get("/api/v1/webhooks"))["items"] == []


def test_only_admins_manage_webhooks(api: Api) -> None:
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    api.agent(email, password="correct horse battery")
    agent = api.login(email, "correct horse battery")
    body = {"url": "https://hooks.example.com/x", "events": ["*"], "secret": SECRET}
    assert_error(agent.post("/api/v1/webhooks", body), 403, "admin_required")
    assert_error(agent.get("/api/v1/webhooks"), 403)
    admin_email = f"{uuid.uuid4().hex[:8]}@example.com"
    api.agent(admin_email, password="correct horse battery", role="admin")
    admin = api.login(admin_email, "correct horse battery")
    assert admin.ok(admin.post("/api/v1/webhooks", body), 201)["events"] == ["*"]
    assert_error(api.as_token(None).get("/api/v1/webhooks"), 401)
    types = admin.ok(admin.get("/api/v1/webhooks/event-types"))["items"]
    assert {"message.created", "conversation.assigned", "contact.updated"} <= set(types)
    assert "typing" not in types  # real-time only, never delivered
    assert_error(agent.get("/api/v1/webhooks/event-types"), 403)
    for event_type in types:  # each listed type is accepted as a subscription
        one = {**body, "events": [event_type]}
        assert api.ok(api.post("/api/v1/webhooks", one), 201)["events"] == [event_type]


def test_delivery_is_signed_and_carries_the_event(api: Api, receiver: Receiver) -> None:
    only_messages = add_webhook(api, receiver.url + "/messages", ["message.created"])
    everything = add_webhook(api, receiver.url + "/all", ["*"])
    conv = api.conversation()
    sent = api.say(conv["id"], "hello webhook")
    wait_until(lambda: [r for r in receiver.of_type("message.created") if r.path == "/messages"])
    request = next(r for r in receiver.of_type("message.created") if r.path == "/messages")
    assert verify_signature(SECRET, request.headers["x-relaydesk-signature"], request.body)
    assert not verify_signature(
        "another-secret-entirely", request.headers["x-relaydesk-signature"], request.body
    )
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-relaydesk-delivery"].startswith("whd_")
    body = request.json()
    assert set(body) == {"id", "type", "created_at", "app_id", "data"}
    assert body["type"] == "message.created" and body["app_id"] == api.app_id
    assert body["id"].startswith("evt_") and body["data"]["id"] == sent["id"]
    assert body["data"]["text"] == "hello webhook"
    # "*" gets every event type (not typing); the other webhook only what it asked for
    wait_until(lambda: [r for r in receiver.of_type("conversation.created") if r.path == "/all"])
    assert not [
        r
        for r in receiver.requests
        if r.path == "/messages" and r.json()["type"] != "message.created"
    ]
    api.ok(api.post(f"/api/v1/conversations/{conv['id']}/typing"), 204)
    # the same event reaches both webhooks with the same event id, as separate deliveries
    wait_until(lambda: len([r for r in receiver.of_type("message.created")]) == 2)
    both = receiver.of_type("message.created")
    assert {r.json()["id"] for r in both} == {body["id"]}
    assert len({r.headers["x-relaydesk-delivery"] for r in both}) == 2
    done = wait_until(
        lambda: [d for d in deliveries(api, only_messages["id"]) if d["status"] == "done"]
    )
    assert (
        done[0]["event_id"] == body["id"]
        and done[0]["attempts"] == 1
        and done[0]["last_status"] == 200
    )
    assert all(r.headers["x-relaydesk-event"] != "typing" for r in receiver.requests)
    assert deliveries(api, everything["id"])


def test_failed_attempts_are_retried_with_backoff_until_2xx(api: Api, receiver: Receiver) -> None:
    receiver.fail_first = 2
    hook = add_webhook(api, receiver.url, ["message.created"])
    conv = api.conversation()
    api.say(conv["id"], "try again")
    wait_until(lambda: len(receiver.of_type("message.created")) >= 3)
    tries = receiver.of_type("message.created")
    assert [r.status for r in tries] == [500, 500, 200]
    assert len({r.headers["x-relaydesk-delivery"] for r in tries}) == 1
    assert [r.headers["x-relaydesk-attempt"] for r in tries] == ["1", "2", "3"]
    assert tries[2].at - tries[1].at >= tries[1].at - tries[0].at - 0.2  # backing off
    for r in tries:  # each attempt is signed afresh
        assert verify_signature(SECRET, r.headers["x-relaydesk-signature"], r.body)
    d = wait_until(lambda: [d for d in deliveries(api, hook["id"]) if d["status"] == "done"])[0]
    assert d["attempts"] == 3 and d["last_status"] == 200 and d["last_error"] is None


def test_rejected_request_and_deleted_webhook_send_nothing(api: Api, receiver: Receiver) -> None:
    hook = add_webhook(api, receiver.url, ["*"])
    conv = api.conversation()
    wait_until(lambda: receiver.of_type("conversation.created"))
    r = api.post(
        f"/api/v1/conversations/{conv['id']}/messages",
        {"sender": {"type": "contact"}, "text": "x" * 10_001},
    )
    assert r.status_code == 422
    api.delete(f"/api/v1/webhooks/{hook['id']}")
    api.say(conv["id"], "after delete")
    api.conversation()
    add_webhook(api, receiver.url + "/new", ["message.created"])
    api.say(conv["id"], "marker")
    wait_until(lambda: receiver.of_type("message.created"))
    assert [r.json()["data"]["text"] for r in receiver.of_type("message.created")] == ["marker"]
    assert len(receiver.of_type("conversation.created")) == 1


def test_tenants_are_isolated(api: Api, server: Server, receiver: Receiver) -> None:
    mine = add_webhook(api, receiver.url + "/mine", ["message.created"])
    other = new_app(server.url, "other")
    assert_error(other.get(f"/api/v1/webhooks/{mine['id']}"), 404)
    assert_error(other.delete(f"/api/v1/webhooks/{mine['id']}"), 404)
    assert_error(other.get(f"/api/v1/webhooks/{mine['id']}/deliveries"), 404)
    assert other.ok(other.get("/api/v1/webhooks"))["items"] == []
    other_conv = other.conversation()
    other.say(other_conv["id"], "other app's message")
    conv = api.conversation()
    api.say(conv["id"], "my message")
    wait_until(lambda: receiver.of_type("message.created"))
    api.ok(api.get(f"/api/v1/webhooks/{mine['id']}"))
    texts = [r.json()["data"]["text"] for r in receiver.of_type("message.created")]
    assert texts == ["my message"]
    assert {r.json()["app_id"] for r in receiver.requests} == {api.app_id}
