"""The ``relaydesk`` command: db upgrade, app create, and serve on what they made."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support import SECRET_KEY, Api, running_server


def relaydesk(database_url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RELAYDESK_DATABASE_URL": database_url, "RELAYDESK_SECRET_KEY": SECRET_KEY}
    return subprocess.run(
        [sys.executable, "-m", "relaydesk.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_db_upgrade_then_app_create_gives_a_working_api_key(
    fresh_database: str, tmp_path: Path
) -> None:
    up = relaydesk(fresh_database, "db", "upgrade", cwd=tmp_path)
    assert up.returncode == 0, up.stderr
    again = relaydesk(fresh_database, "db", "upgrade", cwd=tmp_path)  # idempotent
    assert again.returncode == 0, again.stderr
    made = relaydesk(fresh_database, "app", "create", "Acme Support", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    app = json.loads(made.stdout)
    assert set(app) == {"id", "name", "api_key"} and app["name"] == "Acme Support"
    with running_server(fresh_database, workdir=tmp_path) as server:
        api = Api(server.url, app["api_key"])
        assert api.ok(api.get("/api/v1/app"))["id"] == app["id"]
        assert api.ok(api.post("/api/v1/agents", {"email": "a@example.com", "name": "A"}), 201)


def test_serve_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RELAYDESK_SECRET_KEY"}
    env["RELAYDESK_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    proc = subprocess.run(
        [sys.executable, "-m", "relaydesk.cli", "serve", "--port", "1"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "RELAYDESK_SECRET_KEY must be set" in proc.stderr


def test_serve_refuses_an_outdated_schema_until_db_upgrade(
    fresh_database: str, tmp_path: Path
) -> None:
    old = relaydesk(fresh_database, "db", "upgrade", "--revision", "0001", cwd=tmp_path)
    assert old.returncode == 0, old.stderr
    env = {
        **os.environ,
        "RELAYDESK_DATABASE_URL": fresh_database,
        "RELAYDESK_SECRET_KEY": SECRET_KEY,
    }
    refused = subprocess.run(
        [sys.executable, "-m", "relaydesk.cli", "serve", "--port", "1"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0
    assert "run `relaydesk db upgrade` first" in refused.stdout + refused.stderr
    assert relaydesk(fresh_database, "db", "upgrade", cwd=tmp_path).returncode == 0
    with running_server(fresh_database, workdir=tmp_path) as server:
        assert Api(server.url).get("/readyz").status_code == 200
