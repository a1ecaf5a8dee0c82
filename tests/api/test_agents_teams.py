"""Agents (create, read, update, status) and teams."""

from __future__ import annotations

from tests.support import Api, assert_error


def test_agent_lifecycle(api: Api) -> None:
    a = api.agent("Jo@Example.com", name="Jo", password="longenough", max_concurrent=3)
    assert a["email"] == "jo@example.com"
    assert a["status"] == "offline" and a["role"] == "agent" and a["max_concurrent"] == 3
    assert "password" not in a and "password_hash" not in a
    assert_error(
        api.post("/api/v1/agents", {"email": "JO@example.com", "name": "Dup"}), 409, "email_taken"
    )
    got = api.ok(api.get(f"/api/v1/agents/{a['id']}"))
    assert got == a
    upd = api.ok(
        api.patch(
            f"/api/v1/agents/{a['id']}",
            {"status": "online", "max_concurrent": None, "role": "admin"},
        )
    )
    assert (upd["status"], upd["max_concurrent"], upd["role"]) == ("online", None, "admin")
    assert [x["id"] for x in api.ok(api.get("/api/v1/agents"))["items"]] == [a["id"]]


def test_agent_bad_input_changes_nothing(api: Api) -> None:
    a = api.agent(name="Jo")
    for body in (
        {"email": "not-an-email", "name": "x"},
        {"name": "missing email"},
        {"email": "a@example.com", "name": "x", "role": "boss"},
        {"email": "a@example.com", "name": "x", "status": "busy"},
        {"email": "a@example.com", "name": "x", "max_concurrent": 0},
        {"email": "a@example.com", "name": "x", "max_concurrent": "many"},
        {"email": "a@example.com", "name": "x", "password": "short"},
        {"email": "a@example.com", "name": "x", "unknown": 1},
    ):
        assert_error(api.post("/api/v1/agents", body), 422, "validation_error")
    assert_error(api.patch(f"/api/v1/agents/{a['id']}", {"status": "sleeping"}), 422)
    assert_error(api.patch("/api/v1/agents/agt_nope", {"status": "online"}), 404)
    assert len(api.ok(api.get("/api/v1/agents"))["items"]) == 1
    assert api.ok(api.get(f"/api/v1/agents/{a['id']}"))["status"] == "offline"


def test_agent_sets_own_status_but_not_others(api: Api) -> None:
    api.agent("me@example.com", name="Me", password="longenough")
    other = api.agent("other@example.com", name="Other")
    me = api.login("me@example.com", "longenough")
    assert me.ok(me.put("/api/v1/agents/me/status", {"status": "away"}))["status"] == "away"
    assert api.ok(api.get("/api/v1/agents"))["items"][0]["status"] == "away"
    assert_error(me.put("/api/v1/agents/me/status", {"status": "gone"}), 422)
    assert_error(me.patch(f"/api/v1/agents/{other['id']}", {"status": "online"}), 403)
    mine = me.ok(me.get("/api/v1/agents/me"))
    assert_error(me.patch(f"/api/v1/agents/{mine['id']}", {"max_concurrent": 9}), 403)
    assert me.ok(me.patch(f"/api/v1/agents/{mine['id']}", {"name": "Renamed"}))["name"] == "Renamed"
    # an API key has no "me"
    assert_error(api.put("/api/v1/agents/me/status", {"status": "online"}), 403)


def test_teams_crud_and_member_validation(api: Api) -> None:
    a, b = api.agent(name="A"), api.agent(name="B")
    team = api.ok(
        api.post("/api/v1/teams", {"name": "Billing", "member_ids": [b["id"], a["id"], a["id"]]}),
        201,
    )
    assert team["name"] == "Billing"
    assert team["member_ids"] == [a["id"], b["id"]]  # creation order, no duplicates
    assert api.ok(api.get(f"/api/v1/teams/{team['id']}")) == team
    assert_error(
        api.post("/api/v1/teams", {"name": "X", "member_ids": ["agt_missing"]}),
        422,
        "unknown_agent",
    )
    assert_error(api.post("/api/v1/teams", {"member_ids": []}), 422)
    upd = api.ok(
        api.patch(f"/api/v1/teams/{team['id']}", {"member_ids": [b["id"]], "name": "Billing 2"})
    )
    assert upd["member_ids"] == [b["id"]] and upd["name"] == "Billing 2"
    assert_error(api.patch(f"/api/v1/teams/{team['id']}", {"member_ids": ["agt_x"]}), 422)
    assert api.ok(api.get(f"/api/v1/teams/{team['id']}"))["member_ids"] == [b["id"]]
    assert [t["id"] for t in api.ok(api.get("/api/v1/teams"))["items"]] == [team["id"]]
    api.ok(api.delete(f"/api/v1/teams/{team['id']}"), 204)
    assert_error(api.get(f"/api/v1/teams/{team['id']}"), 404)
    assert_error(api.delete(f"/api/v1/teams/{team['id']}"), 404)
