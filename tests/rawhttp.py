"""HTTP/1.1 over a raw socket: what a misbehaving client sends (endless, chunked, trickled).

httpx cannot stream a body that the server refuses halfway, nor trickle a request head;
these helpers can, and report what came back and when.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass
class Exchange:
    """What one raw request got: the status (0: none), the body, bytes sent, seconds."""

    status: int
    body: bytes
    sent: int
    seconds: float
    closed: bool  # the server closed the connection (EOF or reset)
    raw: bytes  # everything the server sent

    def header(self, name: str) -> str | None:
        """A header of the (first) response."""
        top = self.raw.partition(b"\r\n\r\n")[0].decode("latin-1")
        for line in top.split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None

    def error(self) -> dict[str, Any]:
        """The error envelope of the body."""
        parsed = json.loads(self.body)
        assert set(parsed) == {"error"}, parsed
        return parsed["error"]  # type: ignore[no-any-return]


def head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: test", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunked(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """``total`` bytes of ``x`` in chunked transfer coding, then the last chunk."""
    piece = b"x" * size
    for _ in range(total // size):
        yield b"%x\r\n%b\r\n" % (size, piece)
    yield b"0\r\n\r\n"


def _parse(data: bytes) -> tuple[int, bytes]:
    if not data.startswith(b"HTTP/1."):
        return 0, b""
    top, _, rest = data.partition(b"\r\n\r\n")
    status = int(top.split(b" ", 2)[1])
    length = None
    for line in top.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return status, rest[:length] if length is not None else rest


def exchange(
    port: int,
    first: bytes,
    rest: Iterable[bytes] = (),
    *,
    pause: float = 0.0,
    wait: float = 10.0,
) -> Exchange:
    """Send ``first``, then each piece of ``rest`` (``pause`` s apart) until the server
    answers or closes; then read until the server closes the connection (``wait`` s at
    most)."""
    started = time.monotonic()
    sent = 0
    data = b""
    closed = False
    with socket.create_connection(("127.0.0.1", port)) as sock:
        try:
            sock.sendall(first)
            for piece in rest:
                if select.select([sock], [], [], 0)[0]:
                    break  # the server has answered (or closed): stop sending
                sock.sendall(piece)
                sent += len(piece)
                if pause:
                    time.sleep(pause)
        except OSError:
            pass  # refused mid-body: the answer may still be there to read
        deadline = time.monotonic() + wait
        while not closed and (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                got = sock.recv(65536)
            except TimeoutError:
                break
            except OSError:  # reset: the server closed with our bytes still unread
                closed = True
                break
            closed = not got
            data += got
    status, body = _parse(data)
    return Exchange(status, body, sent, time.monotonic() - started, closed, data)
