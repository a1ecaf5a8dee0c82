"""A small synchronous WebSocket client for the event socket."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect


def ws_url(base_url: str, token: str | None = None) -> str:
    """The event socket URL of a server, with the token in the query when given."""
    url = base_url.replace("http://", "ws://", 1) + "/api/v1/ws"
    return f"{url}?token={token}" if token else url


class EventSocket:
    """An open event socket that has received its ``ready`` frame."""

    def __init__(self, base_url: str, token: str, *, wait_ready: bool = True) -> None:
        self.ws: ClientConnection = connect(ws_url(base_url, token), open_timeout=10).__enter__()
        self.history: list[dict[str, Any]] = []  # every non-ping frame received
        self.ready: dict[str, Any] | None = self.recv() if wait_ready else None
        if wait_ready:
            assert self.ready is not None and self.ready["type"] == "ready", self.ready

    def recv(self, timeout: float = 10.0, *, pings: bool = False) -> dict[str, Any]:
        """The next frame (server pings skipped unless asked for)."""
        deadline = time.monotonic() + timeout
        while True:
            frame = json.loads(self.ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if frame["type"] != "ping":
                self.history.append(frame)
            if pings or frame["type"] != "ping":
                return frame  # type: ignore[no-any-return]

    def until(
        self, check: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        """Frames are read until one passes ``check``; that one is returned."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self.recv(max(0.01, deadline - time.monotonic()))
            if check(frame):
                return frame

    def drain(self, within: float = 0.5) -> list[dict[str, Any]]:
        """Every non-ping frame that arrives within ``within`` seconds."""
        frames = []
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            try:
                frames.append(self.recv(left))
            except TimeoutError:
                break
        return frames

    def send(self, frame: dict[str, Any]) -> None:
        self.ws.send(json.dumps(frame))

    def close(self) -> None:
        self.ws.close()

    def __enter__(self) -> EventSocket:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def closed_code(sock: Any) -> int:
    """Read until the server closes the socket; its close code."""
    with pytest.raises(ConnectionClosed) as info:
        while True:
            sock.recv(timeout=10)
    assert info.value.rcvd is not None
    return int(info.value.rcvd.code)
