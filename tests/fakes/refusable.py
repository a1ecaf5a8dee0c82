"""A threaded HTTP server that can stop listening and start again on the same port.

The fakes use it to play "connection refused": :meth:`RefusableServer.refuse` closes the
listening socket *and* every established connection (clients keep HTTP/1.1 connections
alive in their pools, and a pooled connection to a closed listener would still be
answered), so the next call of any client is refused by the kernel.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class TrackingHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that knows its open connections."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self.open_connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self.open_connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Cut every established connection (their handler threads end on the error)."""
        with self._connections_lock:
            open_now = list(self.open_connections)
        for conn in open_now:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class RefusableServer:
    """Serves ``handler`` on ``(host, port)`` in a daemon thread; can refuse for a while."""

    def __init__(
        self, host: str, port: int, handler: type[BaseHTTPRequestHandler], **attrs: Any
    ) -> None:
        self._handler = handler
        self._attrs = attrs  # set on each server object (handlers read them)
        self.httpd = self._bind((host, port))
        self.address: tuple[str, int] = self.httpd.server_address[:2]  # type: ignore[assignment]
        self._thread: threading.Thread | None = None

    def _bind(self, address: tuple[str, int]) -> TrackingHTTPServer:
        httpd = TrackingHTTPServer(address, self._handler)
        for name, value in self._attrs.items():
            setattr(httpd, name, value)
        return httpd

    def start(self) -> None:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def serve_forever(self) -> None:
        """Serve in the calling thread (standalone use)."""
        self.httpd.serve_forever()

    def stop(self) -> None:
        """Stop listening and cut the established connections."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self.httpd.close_connections()

    def refuse(self) -> None:
        """From now on connections to the port are refused (nothing listens)."""
        self.stop()

    def accept(self) -> None:
        """Listen on the same port again."""
        self.httpd = self._bind(self.address)
        self.start()
