"""Tokens in URLs (sockets, downloads) never reach the server's log."""

from __future__ import annotations

from pathlib import Path

import httpx
from websockets.sync.client import connect

from tests.support import new_app, running_server


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
