"""A receiver that trickles its answer can't get a delivery sent twice at once.

httpx's timeouts are per phase: a receiver sending its status line and then one header
byte at a time never trips them. Before, such a request stayed open past the delivery's
lease, the lease ran out and the same attempt was claimed and sent again while the first
request was still open. Now one deadline (``RELAYDESK_WEBHOOK_TIMEOUT_S``) ends the whole
request before its lease can run out, and a worker never retakes what it is still sending.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import Server, new_app, wait_until


class TricklingReceiver:
    """Reads a request, answers ``HTTP/1.1 200 OK`` and then a header byte every 0.2 s for
    ``trickle_s`` seconds. Records when each request began and ended."""

    def __init__(self, trickle_s: float) -> None:
        self.trickle_s = trickle_s
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        entry: dict[str, Any] = {"start": time.monotonic(), "end": None, "attempt": None}
        with self.lock:
            self.requests.append(entry)
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            for line in data.split(b"\r\n"):
                if line.lower().startswith(b"x-relaydesk-attempt:"):
                    entry["attempt"] = int(line.split(b":", 1)[1])
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            deadline = time.monotonic() + self.trickle_s
            while time.monotonic() < deadline and not self._stop.is_set():
                conn.sendall(b"a")
                time.sleep(0.2)
            conn.sendall(b"\r\nContent-Length: 0\r\n\r\n")
        except OSError:
            pass
        finally:
            entry["end"] = time.monotonic()
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


@pytest.fixture()
def receiver() -> Iterator[TricklingReceiver]:
    r = TricklingReceiver(trickle_s=8.0)
    yield r
    r.close()


def test_a_trickling_receiver_never_gets_the_same_delivery_twice_at_once(
    receiver: TricklingReceiver, tmp_path: Path
) -> None:
    env = {
        "RELAYDESK_WEBHOOK_TIMEOUT_S": "1",  # lease: 1 * 1.5 + 1 = 2.5 s
        "RELAYDESK_WEBHOOK_BACKOFF_BASE_S": "0.5",
        "RELAYDESK_WEBHOOK_BACKOFF_MAX_S": "0.5",
        "RELAYDESK_WEBHOOK_MAX_ATTEMPTS": "3",
    }
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    srv = Server(database_url=url, workdir=tmp_path, env=env).start()
    try:
        api = new_app(srv.url)
        body = {"url": receiver.url, "events": ["message.created"], "secret": "s" * 20}
        hook = api.ok(api.post("/api/v1/webhooks", body), 201)
        api.say(api.conversation()["id"], "one event")

        def failed() -> Any:
            items = api.ok(api.get(f"/api/v1/webhooks/{hook['id']}/deliveries"))["items"]
            return items if items and items[0]["status"] == "failed" else None

        [delivery] = wait_until(failed, timeout=20)
        assert delivery["attempts"] == 3 and delivery["last_error"] == "timeout"
        wait_until(lambda: all(r["end"] for r in receiver.requests), timeout=15)
        spans = sorted((r["start"], r["end"]) for r in receiver.requests)
        assert [r["attempt"] for r in receiver.requests] == [1, 2, 3]
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert start >= end, spans  # never two requests for the delivery at once
        assert all(end - start < 2.5 for start, end in spans), spans  # cut at the deadline
    finally:
        srv.stop()
