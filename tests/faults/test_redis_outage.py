"""Redis goes away and comes back under two running processes.

Posting keeps working (2xx, stored), sockets on the posting process keep getting events,
no process crashes; when Redis is back the processes resubscribe by themselves and events
cross processes again. A private ``redis-server`` on a free port plays Redis.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.realtime.wsclient import EventSocket
from tests.support import PrivateRedis, Server, new_app


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
