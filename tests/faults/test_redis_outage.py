"""Redis goes away and comes back under two running processes.

Posting keeps working (2xx, stored), sockets on the posting process keep getting events,
no process crashes; when Redis is back the processes resubscribe by themselves and events
cross processes again. A private ``redis-server`` on a free port plays Redis.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.realtime.wsclient import EventSocket
from tests.support import Server, free_port, new_app, wait_until


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


@pytest.fixture()
def private_redis() -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    r = PrivateRedis()
    r.start()
    yield r
    r.kill()


def _messages(sock: EventSocket, seconds: float) -> list[str]:
    return [f["data"]["text"] for f in sock.drain(seconds) if f["type"] == "message.created"]


def test_posting_and_local_events_survive_redis_and_cross_process_events_come_back(
    private_redis: PrivateRedis, fresh_database: str, tmp_path: Path
) -> None:
    env = {"RELAYDESK_REDIS_URL": private_redis.url}
    a = Server(database_url=fresh_database, env=env, workdir=tmp_path / "a").start()
    b = Server(database_url=fresh_database, env=env, workdir=tmp_path / "b").start()
    try:
        api = new_app(a.url)
        conv = api.conversation()
        with (
            EventSocket(a.url, api.token or "") as on_a,
            EventSocket(b.url, api.token or "") as on_b,
        ):
            api.say(conv["id"], "with redis")
            assert on_b.until(lambda f: f["type"] == "message.created")["data"]["text"]
            on_a.drain(0.3)

            private_redis.kill()
            sent = api.say(conv["id"], "without redis")  # 201: stored all the same
            got = on_a.until(lambda f: f["type"] == "message.created")
            assert got["data"]["id"] == sent["id"]  # the posting process's sockets still hear
            assert "without redis" not in _messages(on_b, 0.5)
            assert a.proc is not None and a.proc.poll() is None
            assert b.proc is not None and b.proc.poll() is None

            private_redis.start()  # same port: both processes resubscribe by themselves
            deadline = time.monotonic() + 20
            seen: list[str] = []
            posted = 0
            while time.monotonic() < deadline and "after redis" not in seen:
                api.say(conv["id"], "after redis")
                posted += 1
                seen = _messages(on_b, 1.0)
            assert "after redis" in seen
            # each post exactly once on the posting process: its own events, which come
            # back through Redis too, are not delivered twice
            assert _messages(on_a, 1.0).count("after redis") == posted
        texts = [m["text"] for m in api.messages(conv["id"])]
        assert "without redis" in texts
    finally:
        a.stop()
        b.stop()
