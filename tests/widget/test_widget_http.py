"""The widget's server side through HTTP (both backends): script, demo page, handoff, queue."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import Api, assert_error, new_app
from tests.widget.test_widget_bot import BOT


def contact(api: Api, external_id: str) -> Api:
    body = {"app_id": api.app_id, "external_id": external_id}
    data = api.ok(httpx.post(f"{api.base_url}/api/v1/widget/session", json=body))
    return api.as_token(data["token"])


def with_bot(api: Api) -> dict[str, Any]:
    bot = api.ok(api.post("/api/v1/ai-agents", {"name": "bot", "kind": "builtin", "config": BOT}))
    api.routing(ai_routing={"enabled": True, "ai_agent_ids": [bot["id"]]})
    return bot  # type: ignore[no-any-return]


def test_script_and_demo_page(api: Api) -> None:
    script = httpx.get(f"{api.base_url}/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("application/javascript")
    assert "window.relaydesk" in script.text
    page = httpx.get(f"{api.base_url}/widget/demo", params={"app_id": api.app_id})
    assert page.status_code == 200
    snippet = f'<script async src="{api.base_url}/widget.js" data-app-id="{api.app_id}"></script>'
    assert snippet in page.text
    assert "<script>" not in page.text  # no inline script: the page's CSP forbids it
    missing = httpx.get(f"{api.base_url}/widget/demo", params={"app_id": "app_nope"})
    assert missing.status_code == 404


def test_contact_asks_for_a_human(api: Api) -> None:
    bot = with_bot(api)
    agent = api.agent(status="online")
    ann = contact(api, "ann")
    conversation = ann.ok(ann.post("/api/v1/conversations", {}), 201)
    # a contact sees what kind of assignee it has, not who (the staff view has the id)
    assert conversation["assignee"] == {"type": "ai_agent", "id": None}
    assert api.ok(api.get(f"/api/v1/conversations/{conversation['id']}"))["assignee"] == {
        "type": "ai_agent",
        "id": bot["id"],
    }

    result = ann.ok(ann.post(f"/api/v1/conversations/{conversation['id']}/handoff"), 200)
    assert result["handed_off"] is True
    assert result["conversation"]["assignee"] == {"type": "agent", "id": None}
    staff_view = api.ok(api.get(f"/api/v1/conversations/{conversation['id']}"))
    assert staff_view["assignee"] == {"type": "agent", "id": agent["id"]}
    assert result["queue_position"] is None
    trail = api.trail(conversation["id"])
    assert trail[-1]["reason"] == "ai_handoff"
    assert trail[-1]["detail"].startswith("contact_requested")
    assert trail[-1]["from"] == {"type": "ai_agent", "id": bot["id"]}

    again = ann.ok(ann.post(f"/api/v1/conversations/{conversation['id']}/handoff"), 200)
    assert again["handed_off"] is False
    assert again["conversation"]["assignee"] == {"type": "agent", "id": None}
    assert len(api.trail(conversation["id"])) == len(trail)


def test_handoff_queues_when_nobody_is_online(api: Api) -> None:
    with_bot(api)
    api.agent(status="offline")
    first, second = contact(api, "c1"), contact(api, "c2")
    ids = []
    for who in (first, second):
        conv = who.ok(who.post("/api/v1/conversations", {}), 201)
        result = who.ok(who.post(f"/api/v1/conversations/{conv['id']}/handoff"), 200)
        assert result["handed_off"] is True
        assert result["conversation"]["status"] == "waiting"
        ids.append(conv["id"])
    assert second.ok(second.get(f"/api/v1/conversations/{ids[1]}/queue")) == {
        "status": "waiting",
        "position": 2,
    }
    assert first.ok(first.get(f"/api/v1/conversations/{ids[0]}/queue"))["position"] == 1


def test_handoff_and_queue_visibility(api: Api) -> None:
    with_bot(api)
    ann, bob = contact(api, "ann"), contact(api, "bob")
    conversation = ann.ok(ann.post("/api/v1/conversations", {}), 201)
    cid = conversation["id"]
    assert_error(bob.post(f"/api/v1/conversations/{cid}/handoff"), 404)
    assert_error(bob.get(f"/api/v1/conversations/{cid}/queue"), 404)
    assert_error(httpx.post(f"{api.base_url}/api/v1/conversations/{cid}/handoff"), 401)
    other = new_app(api.base_url, "other")
    assert_error(other.post(f"/api/v1/conversations/{cid}/handoff"), 404)
    # staff may ask too (the API key here)
    assert api.ok(api.post(f"/api/v1/conversations/{cid}/handoff"))["handed_off"] is True
    assert api.ok(api.get(f"/api/v1/conversations/{cid}/queue"))["status"] == "waiting"
