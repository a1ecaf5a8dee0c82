"""Test support: real ``relaydesk serve`` processes, databases, and an API client.

Every test talks to relaydesk over real HTTP. Each test gets a fresh app (tenant), so
tests share one server and database per backend without seeing each other's data.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

ADMIN_TOKEN = "test-operator-token"
SECRET_KEY = "test-secret-key-for-relaydesk"
ROOT = Path(__file__).resolve().parent.parent

FAST_WORKERS = {
    # the local fakes (bots, receivers, providers) run on loopback
    "RELAYDESK_OUTBOUND_ALLOW_HOSTS": "127.0.0.1,localhost,::1",
    # many test servers share one PostgreSQL (100 connections): keep each one's pool small
    "RELAYDESK_DB_POOL_SIZE": "3",
    "RELAYDESK_DB_MAX_OVERFLOW": "6",
    # tests log in and open widget sessions far faster than people do; test_rate_limits.py
    # runs servers with tight limits
    "RELAYDESK_RATE_LIMIT_LOGIN": "100000/60",
    "RELAYDESK_RATE_LIMIT_LOGIN_ADDRESS": "100000/60",
    "RELAYDESK_RATE_LIMIT_WIDGET_SESSION": "100000/60",
    "RELAYDESK_RATE_LIMIT_CONTACT": "100000/60",
    "RELAYDESK_WORKER_POLL_S": "0.2",
    "RELAYDESK_TURN_BACKOFF_BASE_S": "0.2",
    "RELAYDESK_TURN_BACKOFF_MAX_S": "1",
    "RELAYDESK_WEBHOOK_BACKOFF_BASE_S": "0.2",
    "RELAYDESK_WEBHOOK_BACKOFF_MAX_S": "1",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


# --- databases ----------------------------------------------------------------------------


def run_async(factory: Callable[[], Any]) -> Any:
    """Run a coroutine to completion in a thread of its own.

    Safe while something else (Playwright's sync API) runs an event loop in this thread.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


def create_postgres_database(base_url: str) -> str:
    """A new empty database next to the one in ``base_url``; returns its URL."""
    import asyncpg

    name = f"rd_test_{uuid.uuid4().hex[:12]}"
    dsn = base_url.replace("postgresql+asyncpg://", "postgresql://")

    async def create() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    run_async(create)
    head, _, _ = base_url.rpartition("/")
    return f"{head}/{name}"


def drop_postgres_database(url: str) -> None:
    import asyncpg

    head, _, name = url.rpartition("/")
    dsn = f"{head}/postgres".replace("postgresql+asyncpg://", "postgresql://")

    async def drop() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    with contextlib.suppress(Exception):
        run_async(drop)


# --- servers ------------------------------------------------------------------------------


@dataclass
class Server:
    """A ``relaydesk serve`` subprocess on a free loopback port."""

    database_url: str
    env: dict[str, str] = field(default_factory=dict)
    workdir: Path | None = None
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> Server:
        self.port = self.port or free_port()
        workdir = self.workdir or Path(os.environ.get("TMPDIR", "/tmp"))
        workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / f"server-{self.port}.log"
        env = {
            **os.environ,
            "RELAYDESK_DATABASE_URL": self.database_url,
            "RELAYDESK_ADMIN_TOKEN": ADMIN_TOKEN,
            "RELAYDESK_SECRET_KEY": SECRET_KEY,
            "RELAYDESK_UPLOAD_DIR": str(workdir / "uploads"),
            "RELAYDESK_LOG_LEVEL": "warning",
            **FAST_WORKERS,
            **self.env,
        }
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "relaydesk.cli", "serve", "--port", str(self.port)],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not become ready:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:] if self.log_path else ""

    def stop(self) -> None:
        """Graceful stop (SIGTERM)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        """Hard kill (SIGKILL): the process gets no chance to clean up."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@contextlib.contextmanager
def running_server(database_url: str, **kw: Any) -> Iterator[Server]:
    server = Server(database_url=database_url, **kw).start()
    try:
        yield server
    finally:
        server.stop()


# --- API client ---------------------------------------------------------------------------


class Api:
    """An HTTP client for one app, with shortcuts for common set-up."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self.base_url = base_url
        self.token = token
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=30)
        self.app_id: str = ""

    def as_token(self, token: str | None) -> Api:
        other = Api(self.base_url, token)
        other.app_id = self.app_id
        return other

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.http.post(path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.http.put(path, json=json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.http.patch(path, json=json, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.delete(path, **kw)

    def ok(self, response: httpx.Response, status: int | tuple[int, ...] = (200, 201)) -> Any:
        expected = (status,) if isinstance(status, int) else status
        assert response.status_code in expected, (
            f"{response.request.method} {response.request.url.path} → {response.status_code}: "
            f"{response.text}"
        )
        return response.json() if response.content else None

    # shortcuts
    def agent(self, email: str | None = None, **fields: Any) -> dict[str, Any]:
        body = {
            "email": email or f"{uuid.uuid4().hex[:8]}@example.com",
            "name": fields.pop("name", "Agent"),
            **fields,
        }
        return self.ok(self.post("/api/v1/agents", body), 201)  # type: ignore[no-any-return]

    def login(self, email: str, password: str) -> Api:
        data = self.ok(self.post("/api/v1/auth/login", {"email": email, "password": password}))
        return self.as_token(data["token"])

    def conversation(self, external_id: str | None = None, **fields: Any) -> dict[str, Any]:
        body = {"contact": {"external_id": external_id or uuid.uuid4().hex[:10]}, **fields}
        return self.ok(self.post("/api/v1/conversations", body), 201)  # type: ignore[no-any-return]

    def say(self, conversation_id: str, text: str, sender: str = "contact", **fields: Any) -> Any:
        body = {
            "sender": {"type": sender, **fields.pop("sender_extra", {})},
            "text": text,
            **fields,
        }
        return self.ok(self.post(f"/api/v1/conversations/{conversation_id}/messages", body), 201)

    def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        return self.ok(self.get(f"/api/v1/conversations/{conversation_id}/messages"))["items"]  # type: ignore[no-any-return]

    def trail(self, conversation_id: str) -> list[dict[str, Any]]:
        return self.ok(self.get(f"/api/v1/conversations/{conversation_id}/assignments"))["items"]  # type: ignore[no-any-return]

    def routing(self, **settings: Any) -> dict[str, Any]:
        current = self.ok(self.get("/api/v1/routing"))
        current.update(settings)
        return self.ok(self.put("/api/v1/routing", current))  # type: ignore[no-any-return]


def new_app(base_url: str, name: str = "test app") -> Api:
    """A fresh app on the server and a client holding its API key."""
    operator = httpx.Client(base_url=base_url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
    r = operator.post("/api/v1/apps", json={"name": name})
    assert r.status_code == 201, r.text
    data = r.json()
    api = Api(base_url, data["api_key"])
    api.app_id = data["id"]
    return api


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The documented error envelope with this status (and code)."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["code"], str)
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]  # type: ignore[no-any-return]


# --- Redis ----------------------------------------------------------------------------


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: self._pings(), timeout=10)

    def _pings(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None
