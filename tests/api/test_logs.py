"""Tokens in URLs (sockets, downloads) never reach the server's log."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from websockets.sync.client import connect

from tests.support import new_app, running_server, wait_until


def test_tokens_in_urls_are_redacted_from_the_log(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'logs.db'}"
    with running_server(url, workdir=tmp_path, env={"RELAYDESK_LOG_LEVEL": "info"}) as server:
        api = new_app(server.url)
        key = api.token or ""
        socket_url = server.url.replace("http://", "ws://") + f"/api/v1/ws?token={key}"
        with connect(socket_url, open_timeout=10) as ws:
            assert '"ready"' in ws.recv(timeout=10)
        httpx.get(f"{server.url}/api/v1/agents", params={"token": key, "x": "1"})
        httpx.get(f"{server.url}/api/v1/uploads/up_x/a.txt", params={"exp": "1", "sig": "abc123"})
        log = server.log()
    assert "/api/v1/ws?token=[redacted]" in log  # the line is there, the token is not
    assert key not in log
    assert "Logging error" not in log  # the access formatter still gets its arguments
    assert "sig=abc123" not in log and "sig=[redacted]" in log


def test_json_logs_one_object_per_line_with_request_and_turn_fields(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'json.db'}"
    env = {"RELAYDESK_LOG_FORMAT": "json", "RELAYDESK_LOG_LEVEL": "info"}
    with running_server(url, workdir=tmp_path, env=env) as server:
        api = new_app(server.url)
        doc = {
            "intents": [
                {"name": "hi", "category": "welcome_event", "content": [{"message": "Hello there"}]}
            ]
        }
        bot = api.ok(
            api.post("/api/v1/ai-agents", {"name": "B", "kind": "builtin", "config": doc}), 201
        )
        api.routing(ai_routing={"enabled": True, "ai_agent_ids": [bot["id"]]})
        conv = api.conversation()
        secret_text = "my card number is 4111 1111 1111 1111"
        sent = api.http.post(
            f"/api/v1/conversations/{conv['id']}/messages",
            json={"sender": {"type": "contact"}, "text": secret_text},
            headers={"X-Request-Id": "trace-42"},
        )
        assert sent.status_code == 201 and sent.headers["x-request-id"] == "trace-42"
        log_path = server.log_path
        assert log_path is not None
        # the request's line is written once its answer is sent: it may follow the turn's
        wait_until(
            lambda: (
                '"outcome": "done"' in (text := log_path.read_text())
                and '"request_id": "trace-42"' in text
            )
        )
        log = log_path.read_text()  # the whole log, not its tail
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]  # all JSON
    posted = [
        line
        for line in lines
        if line.get("route") == "/api/v1/conversations/{conversation_id}/messages"
    ]
    assert posted and posted[0]["request_id"] == "trace-42"
    assert posted[0]["status"] == 201 and posted[0]["app_id"] == api.app_id
    assert posted[0]["method"] == "POST" and posted[0]["duration_ms"] >= 0
    turns = [line for line in lines if line.get("outcome") == "done"]
    assert turns[0]["kind"] == "welcome" and isinstance(turns[0]["turn_id"], int)
    assert secret_text not in log and (api.token or "") not in log
