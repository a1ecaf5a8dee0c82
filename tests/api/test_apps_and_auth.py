"""Apps, API keys, agent login, bearer tokens, health endpoints."""

from __future__ import annotations

import httpx

from tests.support import ADMIN_TOKEN, Api, Server, assert_error, new_app


def test_operator_creates_app_and_key_works(server: Server) -> None:
    op = httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
    r = op.post("/api/v1/apps", json={"name": "Acme"})
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {"id", "name", "api_key"} and body["name"] == "Acme"
    api = Api(server.url, body["api_key"])
    assert api.get("/api/v1/agents").json() == {"items": []}
    assert api.get("/api/v1/app").json()["id"] == body["id"]


def test_only_operator_creates_apps(server: Server, api: Api) -> None:
    assert_error(api.post("/api/v1/apps", {"name": "x"}), 403, "operator_required")
    anon = httpx.Client(base_url=server.url)
    assert_error(anon.post("/api/v1/apps", json={"name": "x"}), 401, "invalid_token")
    bad = httpx.Client(base_url=server.url, headers={"authorization": "Bearer nope"})
    assert_error(bad.post("/api/v1/apps", json={"name": "x"}), 401)
    op = Api(server.url, ADMIN_TOKEN)
    assert_error(op.post("/api/v1/apps", {}), 422, "validation_error")
    assert_error(op.post("/api/v1/apps", {"name": ""}), 422)
    # the operator token cannot read app data
    assert_error(op.get("/api/v1/agents"), 403)


def test_api_keys_created_listed_revoked_and_never_shown_again(api: Api) -> None:
    created = api.ok(api.post("/api/v1/api-keys", {"name": "ci"}), 201)
    assert created["key"].startswith("rdk_") and created["prefix"] == created["key"][:10]
    listed = api.ok(api.get("/api/v1/api-keys"))["items"]
    assert {k["name"] for k in listed} == {"default", "ci"}
    assert all("key" not in k for k in listed)
    second = api.as_token(created["key"])
    assert second.get("/api/v1/agents").status_code == 200
    api.ok(api.delete(f"/api/v1/api-keys/{created['id']}"), 204)
    assert_error(second.get("/api/v1/agents"), 401)
    assert_error(api.delete(f"/api/v1/api-keys/{created['id']}"), 404)


def test_login_gives_agent_token_with_role_limits(api: Api) -> None:
    api.agent("Admin@Example.com", name="Ada", password="correct horse", role="admin")
    api.agent("bo@example.com", name="Bo", password="battery staple")
    assert_error(
        api.post("/api/v1/auth/login", {"email": "admin@example.com", "password": "wrong"}),
        401,
        "invalid_credentials",
    )
    assert_error(api.post("/api/v1/auth/login", {"email": "x"}), 422)
    admin = api.login("ADMIN@example.com", "correct horse")
    me = admin.ok(admin.get("/api/v1/agents/me"))
    assert me["email"] == "admin@example.com" and me["role"] == "admin"
    bo = api.login("bo@example.com", "battery staple")
    # agents read, only admins change settings and invite
    assert bo.get("/api/v1/agents").status_code == 200
    assert_error(bo.post("/api/v1/agents", {"email": "z@example.com", "name": "Z"}), 403)
    admin.ok(admin.post("/api/v1/agents", {"email": "z@example.com", "name": "Z"}), 201)
    # logout revokes the token
    admin.ok(admin.post("/api/v1/auth/logout"), 204)
    assert_error(admin.get("/api/v1/agents/me"), 401)


def test_health_ready_metrics_openapi(server: Server) -> None:
    c = httpx.Client(base_url=server.url)
    assert c.get("/healthz").json() == {"status": "ok"}
    assert c.get("/readyz").json() == {"status": "ready"}
    metrics = c.get("/metrics")
    assert metrics.status_code == 200 and "relaydesk_http_requests_total" in metrics.text
    spec = c.get("/openapi.json").json()
    assert "/api/v1/conversations" in spec["paths"]
    assert "/api/v1/conversations/{conversation_id}/messages" in spec["paths"]


def test_unknown_route_and_method_use_error_envelope(server: Server) -> None:
    c = httpx.Client(base_url=server.url)
    assert_error(c.get("/api/v1/nope"), 404, "not_found")
    assert_error(c.delete("/healthz"), 405, "method_not_allowed")


def test_tokens_of_one_app_never_reach_another(server: Server) -> None:
    a, b = new_app(server.url, "A"), new_app(server.url, "B")
    agent = a.agent(password="password-a")
    conv = a.conversation("same-external-id", message={"text": "secret of A"})
    # B sees none of it: foreign ids answer 404
    assert_error(b.get(f"/api/v1/agents/{agent['id']}"), 404)
    assert_error(b.get(f"/api/v1/conversations/{conv['id']}"), 404)
    assert_error(b.get(f"/api/v1/conversations/{conv['id']}/messages"), 404)
    assert_error(
        b.post(
            f"/api/v1/conversations/{conv['id']}/messages",
            {"sender": {"type": "contact"}, "text": "x"},
        ),
        404,
    )
    assert_error(b.patch(f"/api/v1/conversations/{conv['id']}", {"status": "resolved"}), 404)
    assert_error(b.get(f"/api/v1/contacts/{conv['contact']['id']}"), 404)
    assert b.get("/api/v1/conversations").json()["items"] == []
    assert (
        b.get("/api/v1/contacts", params={"external_id": "same-external-id"}).json()["items"] == []
    )
    # nothing changed for A
    assert a.get(f"/api/v1/conversations/{conv['id']}").json()["status"] == conv["status"]
    assert [m["text"] for m in a.messages(conv["id"])] == ["secret of A"]


def test_cors_lets_the_widget_call_the_api_from_another_site(server: Server, api: Api) -> None:
    origin = {"origin": "https://shop.example.com"}
    pre = httpx.options(
        f"{server.url}/api/v1/widget/session",
        headers={
            **origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == "*"
    assert "POST" in pre.headers["access-control-allow-methods"]
    r = api.get("/api/v1/agents", headers=origin)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers
