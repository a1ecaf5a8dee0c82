"""Shared helpers of the AI-agent end-to-end tests (real server over HTTP, fake providers).

Each e2e module runs its own server per backend on its own database, with a short turn
retry budget (3 attempts, small backoffs), so an outage turns into an ``ai_error`` handoff
in about a second and no other test server's worker can pick up its turns.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PG_URL
from tests.fakes.lex_server import FakeLex
from tests.support import (
    Api,
    Server,
    create_postgres_database,
    drop_postgres_database,
    wait_until,
)

E2E_ENV = {
    "RELAYDESK_TURN_MAX_ATTEMPTS": "3",
    "RELAYDESK_TURN_BACKOFF_BASE_S": "0.1",
    "RELAYDESK_TURN_BACKOFF_MAX_S": "0.3",
    "RELAYDESK_WORKER_POLL_S": "0.1",
    "RELAYDESK_LOG_LEVEL": "debug",
}


def module_server(backend: str, tmp: Path) -> Iterator[Server]:
    """A relaydesk server on a database of its own, for one module and backend."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / 'relaydesk.db'}"
    else:
        if not PG_URL:
            pytest.skip("PostgreSQL tests need RELAYDESK_TEST_DATABASE_URL")
        url = create_postgres_database(PG_URL)
    srv = Server(database_url=url, workdir=tmp, env=dict(E2E_ENV)).start()
    try:
        yield srv
    finally:
        srv.stop()
        if backend == "postgres":
            drop_postgres_database(url)


# --- set-up ---------------------------------------------------------------------------------


BILLING_DOC = {
    "intents": [
        {"name": "welcome", "category": "welcome_event", "content": [{"message": "Billing hi"}]},
        {
            "name": "billing",
            "category": "intent",
            "trainingPhrases": ["invoice question"],
            "content": [{"message": "Billing bot here, about your invoice."}],
        },
    ]
}


def humans(api: Api) -> dict[str, Any]:
    """Two online agents (Ann, Ben), an away agent (Cy), a team with Ben only, and a
    built-in "billing" AI agent (for handoffs to an AI agent with an event)."""
    tag = uuid.uuid4().hex[:6]
    ann = api.agent(f"ann-{tag}@example.com", name="Ann", status="online")
    ben = api.agent(f"ben-{tag}@example.com", name="Ben", status="online")
    cy = api.agent(f"cy-{tag}@example.com", name="Cy", status="away")
    team = api.ok(api.post("/api/v1/teams", {"name": "Billing", "member_ids": [ben["id"]]}), 201)
    billing = ai_agent(api, "builtin", BILLING_DOC, name="Billing bot")
    return {"ann": ann, "ben": ben, "cy": cy, "team": team, "billing": billing}


def lex_config(lex: FakeLex, **overrides: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "access_key_id": lex.access_key_id,
        "secret_access_key": lex.secret_access_key,
        "region": "us-east-1",
        "bot_name": "SupportBot",
        "bot_alias": "prod",
        "endpoint_url": lex.url,
        "connect_timeout_s": 1,
        "read_timeout_s": 8,
    }
    cfg.update(overrides)
    return {k: v for k, v in cfg.items() if v is not None}


def ai_agent(api: Api, kind: str, config: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"name": fields.pop("name", f"{kind} bot"), "kind": kind, "config": config, **fields}
    return api.ok(api.post("/api/v1/ai-agents", body), 201)  # type: ignore[no-any-return]


def route_new_to(api: Api, *ai_agent_ids: str) -> None:
    """AI routing on, with these AI agents."""
    api.routing(ai_routing={"enabled": True, "ai_agent_ids": list(ai_agent_ids)})


# --- observing ------------------------------------------------------------------------------


def bot_messages(api: Api, conversation_id: str, n: int, timeout: float = 15) -> list[dict]:
    """Wait until the conversation holds at least ``n`` AI-agent messages; return them."""

    def ready() -> list[dict] | None:
        found = [m for m in api.messages(conversation_id) if m["sender"]["type"] == "ai_agent"]
        return found if len(found) >= n else None

    return wait_until(ready, timeout=timeout)  # type: ignore[no-any-return]


def texts(api: Api, conversation_id: str) -> list[tuple[str, str | None]]:
    """(sender type, text) of every message, oldest first."""
    return [(m["sender"]["type"], m["text"]) for m in api.messages(conversation_id)]


def trail_until(api: Api, conversation_id: str, reason: str, timeout: float = 15) -> dict:
    """Wait for an assignment row with this reason; return the last such row."""

    def ready() -> dict | None:
        rows = [r for r in api.trail(conversation_id) if r["reason"] == reason]
        return rows[-1] if rows else None

    return wait_until(ready, timeout=timeout)  # type: ignore[no-any-return]


def assignee(api: Api, conversation_id: str) -> dict | None:
    return api.ok(api.get(f"/api/v1/conversations/{conversation_id}"))["assignee"]  # type: ignore[no-any-return]


def settled(api: Api, conversation_id: str, timeout: float = 15) -> None:
    """Wait until no bot turn of the conversation is still running (its reply is in)."""
    # the only outside sign of a finished turn is its effect; callers wait on those. This
    # helper waits for the message list to stop changing for a short while.
    import time

    last: Any = None
    stable_since = time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = [m["id"] for m in api.messages(conversation_id)]
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since > 0.6:
            return
        time.sleep(0.1)


# --- handoff forms (routing.md §4), shared by every kind ------------------------------------

#: the ways an AI agent hands over with a payload (KM_ASSIGN_TO "" / agent id / agent email /
#: KM_ASSIGN_TEAM / unknown id / another AI agent with an event)
HANDOFF_FORMS = [
    "human_rules",
    "agent_id",
    "agent_email",
    "team",
    "unknown_id",
    "ai_agent_event",
]


def handoff_metadata(form: str, people: dict[str, Any]) -> dict[str, Any]:
    return {
        "human_rules": {"KM_ASSIGN_TO": ""},
        "agent_id": {"KM_ASSIGN_TO": people["cy"]["id"]},
        "agent_email": {"KM_ASSIGN_TO": people["cy"]["email"].upper()},
        "team": {"KM_ASSIGN_TEAM": people["team"]["id"]},
        "unknown_id": {"KM_ASSIGN_TO": "ag_does_not_exist"},
        "ai_agent_event": {
            "KM_ASSIGN_TO": people["billing"]["id"],
            "event": {"name": "billing", "data": {"invoice": "I-7"}},
        },
    }[form]


def check_handoff(api: Api, conversation_id: str, form: str, people: dict[str, Any]) -> dict:
    """The trail row and assignee a handoff form must produce; returns the row."""
    online = {people["ann"]["id"], people["ben"]["id"]}
    if form == "human_rules":
        row = trail_until(api, conversation_id, "ai_handoff")
        assert row["to"]["type"] == "agent" and row["to"]["id"] in online
        assert row["detail"] in ("round_robin", "participant"), row
    elif form in ("agent_id", "agent_email"):
        row = trail_until(api, conversation_id, "ai_handoff_agent")
        assert row["to"] == {"type": "agent", "id": people["cy"]["id"]}  # whatever their status
    elif form == "team":
        row = trail_until(api, conversation_id, "ai_handoff_team")
        assert row["to"] == {"type": "agent", "id": people["ben"]["id"]}
        assert row["team_id"] == people["team"]["id"]
    elif form == "ai_agent_event":
        row = trail_until(api, conversation_id, "ai_handoff_ai_agent")
        assert row["to"] == {"type": "ai_agent", "id": people["billing"]["id"]}
        wait_until(
            lambda: (
                [
                    m["text"]
                    for m in api.messages(conversation_id)
                    if m["sender"]["id"] == people["billing"]["id"]
                ]
                == ["Billing bot here, about your invoice."]
            )
        )
    else:
        row = trail_until(api, conversation_id, "ai_handoff")
        assert row["detail"] == "unknown_assignee"
        assert row["to"]["type"] == "agent" and row["to"]["id"] in online
    assert row["from"]["type"] == "ai_agent"
    assert row["actor"]["type"] == "ai_agent"
    assert assignee(api, conversation_id) == row["to"]
    return row


def rich_payloads() -> list[dict[str, Any]]:
    """One Kommunicate rich message of each template the widget renders (6, 9, 10)."""
    return [
        {
            "message": "Pick one",
            "metadata": {
                "contentType": "300",
                "templateId": "6",
                "payload": [{"title": "Yes", "message": "yes"}, {"title": "No", "message": "no"}],
            },
        },
        {
            "metadata": {
                "contentType": "300",
                "templateId": "9",
                "payload": [{"url": "https://cdn.example/a.png", "caption": "A"}],
            }
        },
        {
            "message": "Our plans",
            "metadata": {
                "contentType": "300",
                "templateId": "10",
                "payload": [
                    {
                        "title": "Pro",
                        "subtitle": "For teams",
                        "header": {"imgSrc": "https://cdn.example/pro.png"},
                        "buttons": [
                            {
                                "name": "Buy",
                                "action": {
                                    "type": "quickReply",
                                    "payload": {"title": "Buy", "message": "buy pro"},
                                },
                            }
                        ],
                    }
                ],
            },
        },
    ]


def check_rich(messages: list[dict[str, Any]]) -> None:
    """The three rich messages arrive in order with their metadata intact."""
    expected = rich_payloads()
    assert [m["metadata"].get("templateId") for m in messages] == ["6", "9", "10"]
    for got, want in zip(messages, expected, strict=True):
        assert got["text"] == want.get("message")
        assert got["metadata"] == want["metadata"]


ATTACHMENT = {
    "url": "https://files.example/receipt.pdf",
    "name": "receipt.pdf",
    "size": 2048,
    "mime_type": "application/pdf",
}


def send_media(api: Api, conversation_id: str) -> dict[str, Any]:
    return api.ok(  # type: ignore[no-any-return]
        api.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            {"sender": {"type": "contact"}, "attachments": [ATTACHMENT]},
        ),
        201,
    )


KM_ATTACHMENTS = [
    {
        "type": "application/pdf",
        "payload": {"url": ATTACHMENT["url"], "name": "receipt.pdf", "size": 2048},
    }
]
