"""ASGI middleware for request limits: 413 for bodies over the configured limit, 400 for a
NUL character in the path or query (PostgreSQL cannot store or compare text holding one)."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relaydesk.errors import error_body


class _TooLarge(Exception):
    pass


class RefuseNul:
    """400 ``invalid_character`` for a NUL (``%00``) in the path or query string.

    JSON bodies are checked by the request schemas (``relaydesk.schemas.In``).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and _has_nul(scope):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            body = json.dumps(
                error_body("invalid_character", "The URL may not contain NUL (%00) characters.")
            ).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ]
            await send({"type": "http.response.start", "status": 400, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def _has_nul(scope: Scope) -> bool:
    query: bytes = scope.get("query_string") or b""
    return "\x00" in scope.get("path", "") or b"%00" in query.lower() or b"\x00" in query


class BodySizeLimit:
    """Reject bodies larger than ``limit`` bytes (``upload_limit`` under the upload path)."""

    def __init__(self, app: ASGIApp, *, limit: int, upload_limit: int) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        # multipart framing adds a little on top of the file itself
        limit = self.upload_limit + 64 * 1024 if path.startswith("/api/v1/uploads") else self.limit
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > limit
            except ValueError:
                too_big = False
            if too_big:
                await self._reject(send, limit, upload=path.startswith("/api/v1/uploads"))
                return

        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(send, limit, upload=path.startswith("/api/v1/uploads"))

    @staticmethod
    async def _reject(send: Send, limit: int, *, upload: bool = False) -> None:
        message = (
            f"The file is larger than the upload limit ({_human(limit - 64 * 1024)})."
            if upload
            else f"The request body is larger than {limit} bytes."
        )
        body = json.dumps(error_body("payload_too_large", message)).encode()
        headers: list[Any] = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _human(size: int) -> str:
    """10485760 → "10 MiB"."""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:g} {unit}" if unit == "bytes" else f"{size:.3g} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} bytes"
