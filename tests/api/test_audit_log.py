"""``GET /api/v1/audit-log``: every admin action on an app's set-up, who did it and from where,
what changed (secrets masked), only to the app's admins."""

from __future__ import annotations

import uuid
from typing import Any

from tests.ai_agents.e2e import BILLING_DOC, ai_agent
from tests.support import Api, assert_error

PASSWORD = "an admin passphrase"
NEW_PASSWORD = "a changed passphrase"
VERIFICATION_SECRET = "identity-verification-secret-for-audit"
HOOK_SECRET = "outbound-webhook-secret-for-audit"


def _email() -> str:
    return f"{uuid.uuid4().hex[:8]}@example.com"


def _log(api: Api, **params: Any) -> list[dict[str, Any]]:
    return api.ok(api.get("/api/v1/audit-log", params=params))["items"]  # type: ignore[no-any-return]


def _only(entries: list[dict[str, Any]], action: str) -> dict[str, Any]:
    found = [e for e in entries if e["action"] == action]
    assert len(found) == 1, (action, [e["action"] for e in entries])
    return found[0]


def test_admin_actions_are_recorded_with_actor_address_and_changes(api: Api) -> None:
    admin_row = api.agent(_email(), name="Ada Admin", password=PASSWORD, role="admin")
    admin = api.login(admin_row["email"], PASSWORD)

    kim = admin.ok(admin.post("/api/v1/agents", {"email": _email(), "name": "Kim"}), 201)
    promote = {"role": "admin", "password": NEW_PASSWORD}
    admin.ok(admin.patch(f"/api/v1/agents/{kim['id']}", promote))
    team = admin.ok(admin.post("/api/v1/teams", {"name": "Billing", "member_ids": [kim["id"]]}))
    admin.ok(admin.patch(f"/api/v1/teams/{team['id']}", {"name": "Billing & refunds"}))
    bot = ai_agent(admin, "builtin", BILLING_DOC, name="Billing bot")
    admin.ok(admin.patch(f"/api/v1/ai-agents/{bot['id']}", {"name": "Invoice bot"}))
    admin.routing(human_routing="notify_everybody")
    admin.ok(
        admin.patch(
            "/api/v1/app", {"require_user_hash": True, "verification_secret": VERIFICATION_SECRET}
        )
    )
    hook = admin.ok(
        admin.post(
            "/api/v1/webhooks",
            {"url": "https://hooks.example.com/in", "events": ["*"], "secret": HOOK_SECRET},
        )
    )
    admin.ok(admin.delete(f"/api/v1/webhooks/{hook['id']}"), 204)
    key = api.ok(api.post("/api/v1/api-keys", {"name": "CRM sync"}), 201)  # by the API key
    api.ok(api.delete(f"/api/v1/api-keys/{key['id']}"), 204)
    admin.ok(admin.delete(f"/api/v1/teams/{team['id']}"), 204)

    response = admin.get("/api/v1/audit-log")
    entries = admin.ok(response)["items"]
    for secret in (PASSWORD, NEW_PASSWORD, VERIFICATION_SECRET, HOOK_SECRET, key["key"]):
        assert secret not in response.text
    assert [e["action"] for e in entries] == [  # newest first
        "team.delete",
        "api_key.delete",
        "api_key.create",
        "webhook.delete",
        "webhook.create",
        "app.update",
        "routing.update",
        "ai_agent.update",
        "ai_agent.create",
        "team.update",
        "team.create",
        "agent.update",
        "agent.create",
        "agent.create",  # Ada, by the API key
    ]
    by_admin = {"type": "agent", "id": admin_row["id"], "name": "Ada Admin"}
    update = _only(entries, "agent.update")
    assert update["actor"] == by_admin and update["ip"] == "127.0.0.1"
    assert update["target"] == {"type": "agent", "id": kim["id"], "name": "Kim"}
    assert update["changes"] == {
        "role": {"from": "agent", "to": "admin"},
        "password": {"from": "****", "to": "****"},
    }
    assert _only(entries, "team.update")["changes"] == {
        "name": {"from": "Billing", "to": "Billing & refunds"}
    }
    assert _only(entries, "ai_agent.update")["changes"] == {
        "name": {"from": "Billing bot", "to": "Invoice bot"}
    }
    assert _only(entries, "routing.update")["changes"] == {
        "human_routing": {"from": "automatic", "to": "notify_everybody"}
    }
    assert _only(entries, "app.update")["changes"] == {
        "require_user_hash": {"from": False, "to": True},
        "verification_secret": {"from": "****", "to": "****"},
    }
    created_key = _only(entries, "api_key.create")
    assert created_key["actor"]["type"] == "api_key"
    assert created_key["target"] == {"type": "api_key", "id": key["id"], "name": "CRM sync"}
    assert _only(entries, "team.delete")["changes"]["name"] == {
        "from": "Billing & refunds",
        "to": None,
    }


def test_own_status_changes_and_refused_changes_are_not_recorded(api: Api) -> None:
    row = api.agent(_email(), name="Sam", password=PASSWORD)
    sam = api.login(row["email"], PASSWORD)
    sam.ok(sam.put("/api/v1/agents/me/status", {"status": "online"}))
    sam.ok(sam.patch(f"/api/v1/agents/{row['id']}", {"status": "away"}))
    unknown_agent = {"human_routing": "automatic", "default_agent_id": "agt_nobody"}
    assert_error(api.put("/api/v1/routing", unknown_agent), 422)
    assert_error(api.patch(f"/api/v1/agents/{row['id']}", {"role": "owner"}), 422)
    assert [e["action"] for e in _log(api)] == ["agent.create"]

    # an admin setting someone's status is an admin action
    api.ok(api.patch(f"/api/v1/agents/{row['id']}", {"status": "offline"}))
    latest = _log(api)[0]
    assert latest["action"] == "agent.update"
    assert latest["changes"] == {"status": {"from": "away", "to": "offline"}}


def test_only_the_apps_admins_read_its_log(api: Api, server: Any) -> None:
    from tests.support import new_app

    row = api.agent(_email(), password=PASSWORD)  # role agent
    agent = api.login(row["email"], PASSWORD)
    assert_error(agent.get("/api/v1/audit-log"), 403, "admin_required")
    session = api.ok(api.post("/api/v1/widget/session", {"app_id": api.app_id}))
    assert_error(api.as_token(session["token"]).get("/api/v1/audit-log"), 403)
    assert_error(api.as_token(None).get("/api/v1/audit-log"), 401)

    other = new_app(server.url, name="another company")
    assert _log(other) == []
    assert _log(other, target_id=row["id"]) == []
    assert len(_log(api, target_id=row["id"])) == 1


def test_filters_and_pages(api: Api) -> None:
    ids = [api.agent(_email(), name=f"Agent {i}")["id"] for i in range(5)]
    api.routing(human_routing="notify_everybody")
    assert [e["action"] for e in _log(api, action="routing")] == ["routing.update"]
    assert len(_log(api, action="agent")) == 5
    assert [e["target"]["id"] for e in _log(api, target_type="agent", target_id=ids[2])] == [ids[2]]

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "action": "agent.create"}
        if cursor:
            params["cursor"] = cursor
        page = api.ok(api.get("/api/v1/audit-log", params=params))
        seen += [e["target"]["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))

    assert_error(api.get("/api/v1/audit-log", params={"cursor": "not-a-cursor"}), 400)
    backwards = {"from": "2026-12-02T00:00:00Z", "to": "2026-12-01T00:00:00Z"}
    assert_error(api.get("/api/v1/audit-log", params=backwards), 422)
    assert _log(api, **{"from": "2100-01-01T00:00:00Z"}) == []
