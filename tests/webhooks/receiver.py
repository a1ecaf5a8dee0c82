"""A local webhook receiver on 127.0.0.1 that records requests and fails or hangs on demand."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    at: float = field(default_factory=time.time)

    def json(self) -> Any:
        return json.loads(self.body)


def verify_signature(secret: str, header: str, body: bytes, tolerance_s: float = 300) -> bool:
    """Check ``t=…,v1=…`` the way a receiver should: HMAC of ``t.body``, recent ``t``."""
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256)
    fresh = abs(time.time() - int(parts["t"])) <= tolerance_s
    return fresh and hmac.compare_digest(expected.hexdigest(), parts["v1"])


class Receiver:
    """Answers 200, except the first ``fail_first`` requests (``fail_status``) or hangs."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.fail_first = 0
        self.fail_status = 500
        self.hang = threading.Event()  # while set, requests hang until cleared
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.lock:
                    failing = receiver.fail_first > 0
                    if failing:
                        receiver.fail_first -= 1
                    hanging = receiver.hang.is_set()
                    status = receiver.fail_status if failing else 200
                    receiver.requests.append(
                        Received(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            0 if hanging else status,
                        )
                    )
                if hanging:
                    while receiver.hang.is_set():
                        time.sleep(0.05)
                    return  # hang up without answering
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def of_type(self, event_type: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.headers.get("x-relaydesk-event") == event_type]

    def close(self) -> None:
        self.hang.clear()
        self.server.shutdown()
        self.server.server_close()
