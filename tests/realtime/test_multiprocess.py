"""Two ``relaydesk serve`` processes on one database, fanned out through Redis."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.realtime.wsclient import EventSocket
from tests.support import Server, assert_error, new_app, wait_until


def test_message_posted_on_one_process_reaches_a_socket_on_another(
    fresh_database: str, redis_url: str, tmp_path: Path
) -> None:
    env = {"RELAYDESK_REDIS_URL": redis_url, "RELAYDESK_WS_HEARTBEAT_S": "0.3"}
    a = Server(database_url=fresh_database, env=env, workdir=tmp_path / "a").start()
    b = Server(database_url=fresh_database, env=env, workdir=tmp_path / "b")
    booting = threading.Thread(target=b.start)  # boots (schema exists) while A is used
    booting.start()
    try:
        api_a = new_app(a.url)
        conv = api_a.conversation()
        booting.join()
        with (
            EventSocket(b.url, api_a.token or "") as on_b,
            EventSocket(a.url, api_a.token or "") as on_a,
        ):
            sent = api_a.say(conv["id"], "across processes")
            for sock in (on_b, on_a):  # every process delivers, exactly once
                got = sock.until(lambda f: f["type"] == "message.created")
                assert got["data"]["id"] == sent["id"]
            assert [f for f in on_b.drain(0.5) if f["type"] == "message.created"] == []
            # and the other way round: posted on B, seen on A
            api_b = api_a.as_token(api_a.token)
            api_b.http.base_url = b.url  # type: ignore[assignment]
            back = api_b.say(conv["id"], "and back")
            assert on_a.until(lambda f: f["type"] == "message.created")["data"]["id"] == back["id"]
            # an idle socket is kept alive with server pings
            on_b.drain(0.2)
            assert on_b.recv(timeout=5, pings=True)["type"] == "ping"
    finally:
        a.stop()
        b.stop()


def test_a_key_revoked_on_one_process_is_refused_at_once_by_the_other(
    fresh_database: str, redis_url: str, tmp_path: Path
) -> None:
    """Resolved tokens are cached per process (RELAYDESK_AUTH_CACHE_S); a revocation
    committed anywhere empties every process's cache through the broker, so a long cache
    time never lets a revoked key through."""
    env = {"RELAYDESK_REDIS_URL": redis_url, "RELAYDESK_AUTH_CACHE_S": "300"}
    a = Server(database_url=fresh_database, env=env, workdir=tmp_path / "a").start()
    b = Server(database_url=fresh_database, env=env, workdir=tmp_path / "b").start()
    try:
        api_a = new_app(a.url)
        key = api_a.ok(api_a.post("/api/v1/api-keys", {"name": "integration"}), 201)
        on_b = api_a.as_token(key["key"])
        on_b.http.base_url = b.url  # type: ignore[assignment]
        conv = on_b.conversation()
        for _ in range(3):  # B has resolved the key and now answers from its cache
            on_b.say(conv["id"], "via B")
        api_a.ok(api_a.delete(f"/api/v1/api-keys/{key['id']}"), 204)
        wait_until(lambda: on_b.get("/api/v1/conversations").status_code == 401, timeout=3)
        refused = on_b.post(
            f"/api/v1/conversations/{conv['id']}/messages",
            {"sender": {"type": "contact"}, "text": "after revocation"},
        )
        assert_error(refused, 401, "invalid_token")
        texts = [m["text"] for m in api_a.messages(conv["id"])]
        assert "after revocation" not in texts and texts.count("via B") == 3
    finally:
        a.stop()
        b.stop()
