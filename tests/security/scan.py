"""Looking for secret values in what a server says: HTTP answers, socket frames, outbound
bodies, its log and its database.

A value is searched as itself and in the encodings it could travel in: JSON-escaped,
URL-encoded, base64 (standard and URL-safe, with and without padding), and for a PEM private
key each line of its body (a log that cut the key into lines would still leak it).
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

import httpx
from websockets.sync.client import ClientConnection, connect

#: where a value may be looked for
EVERYWHERE = frozenset({"http", "ws", "outbound", "log", "db"})


@dataclass(frozen=True)
class Secret:
    """A secret value, the places it must never appear, and why it is secret."""

    name: str
    value: str
    banned: frozenset[str] = EVERYWHERE


def encodings(value: str) -> set[str]:
    """The forms ``value`` could leak in (forms shorter than 12 characters are not searched)."""
    raw = value.encode()
    forms = {
        value,
        json.dumps(value)[1:-1],
        quote(value, safe=""),
        quote_plus(value),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    if "PRIVATE KEY-----" in value:
        forms |= {line for line in value.splitlines() if line and "-----" not in line}
    return {f for f in forms if len(f) >= 12}


@dataclass
class Seen:
    """One thing the server said, where, and the secrets it may carry (issued by it)."""

    where: str  # http | ws | outbound | log | db
    label: str
    text: str
    allowed: frozenset[str] = frozenset()


def leaks(secrets: list[Secret], seen: list[Seen]) -> list[str]:
    """Every (secret, place) where a banned value shows up, described for a person."""
    found = []
    for secret in secrets:
        forms = encodings(secret.value)
        for item in seen:
            if item.where not in secret.banned or secret.value in item.allowed:
                continue
            for form in forms:
                at = item.text.find(form)
                if at >= 0:
                    around = item.text[max(0, at - 80) : at + len(form) + 40]
                    found.append(f"{secret.name} in {item.where} {item.label}: …{around!r}…")
                    break
    return found


class Recorder:
    """Keeps every HTTP answer of the clients it is hooked into."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.lock = threading.Lock()

    def hook(self, client: httpx.Client) -> httpx.Client:
        client.event_hooks = {"request": [], "response": [self._record]}
        return client

    def _record(self, response: httpx.Response) -> None:
        response.read()
        req = response.request
        label = f"{req.method} {req.url.path} → {response.status_code}"
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        with self.lock:
            self.seen.append(Seen("http", label, f"{headers}\n\n{response.text}"))


@dataclass
class SocketTap:
    """An event socket whose every raw frame is kept, read in a thread of its own."""

    url: str
    first_frame: str | None = None  # an auth frame instead of ``?token=``
    headers: dict[str, str] = field(default_factory=dict)  # sent with the handshake
    frames: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ws: ClientConnection = connect(
            self.url, open_timeout=10, additional_headers=self.headers
        ).__enter__()
        if self.first_frame is not None:
            self.ws.send(self.first_frame)
        self.frames.append(str(self.ws.recv(timeout=10)))  # ready
        assert '"ready"' in self.frames[0], self.frames
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        with contextlib.suppress(Exception):
            for frame in self.ws:
                self.frames.append(str(frame))

    def close(self) -> list[Seen]:
        self.ws.close()
        self.thread.join(5)
        return [
            Seen("ws", f"{self.url.split('?')[0]} frame {i}", f) for i, f in enumerate(self.frames)
        ]
