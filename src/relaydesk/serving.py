"""Connection-level limits for ``relaydesk serve``: slow clients cannot hold connections.

uvicorn closes a keep-alive connection that stays idle (``keep_alive_s``), but has no
deadline for the request head: a client that connects and sends nothing, or trickles its
headers a byte at a time, holds the connection for ever. :func:`http_protocol` adds that
deadline (``request_header_timeout_s``, counted from the connection or from the first byte
of the next request on a kept-alive one); the body's deadline is
:class:`relaydesk.limits.BodySizeLimit`'s.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from relaydesk.config import Settings
from relaydesk.errors import error_body

#: a WebSocket client sends only auth and ping frames
WS_MAX_FRAME_BYTES = 64 * 1024
#: request line and headers together (the h11 parser; httptools has its own fixed bound)
MAX_HEAD_BYTES = 64 * 1024


def _timeout_response(timeout_s: float) -> bytes:
    body = json.dumps(
        error_body("request_timeout", f"The request head did not arrive within {timeout_s:g} s.")
    ).encode()
    head = (
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


def http_protocol(timeout_s: float) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol with a deadline for each request head."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    base: Any = AutoHTTPProtocol
    refusal = _timeout_response(timeout_s)

    class HeadDeadlineProtocol(base):  # type: ignore[misc]
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._head_timer is None and self._between_requests():
                self._arm()  # the first byte of a request on a kept-alive connection
            before = self.cycle
            super().data_received(data)
            if self.cycle is not before or self.transport.get_protocol() is not self:
                self._disarm()  # a head arrived (or the connection became a WebSocket)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _between_requests(self) -> bool:
            return self.cycle is None or bool(self.cycle.response_complete)

        def _arm(self) -> None:
            self._head_timer = asyncio.get_running_loop().call_later(timeout_s, self._expired)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _expired(self) -> None:
            self._head_timer = None
            transport = self.transport
            if transport.is_closing() or transport.get_protocol() is not self:
                return
            if self._between_requests():
                transport.write(refusal)
                transport.close()

    return HeadDeadlineProtocol


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn settings that bound what one client can hold."""
    return {
        "http": http_protocol(settings.request_header_timeout_s),
        "timeout_keep_alive": settings.keep_alive_s,
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
        "ws_max_size": WS_MAX_FRAME_BYTES,
    }
