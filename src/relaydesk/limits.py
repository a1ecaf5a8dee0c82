"""ASGI middleware for request limits: 413 for bodies over the configured limit, 408 for
bodies too slow to arrive, 400 for a NUL character in the path or query (PostgreSQL cannot
store or compare text holding one)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relaydesk.errors import error_body


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


class _BodyRefused(StarletteHTTPException):
    """Raised from ``receive``: an HTTPException, so FastAPI's body parsing re-raises it and
    the error handler answers it in the error shape (an ``Exception`` would become a 400)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(status_code, message, headers={"Connection": "close"})


#: paths whose bodies are files (the upload limit applies)
UPLOAD_PATHS = ("/api/v1/uploads", "/api/v1/knowledge/import")


class BodySizeLimit:
    """Reject bodies larger than ``limit`` bytes (``upload_limit`` under the upload path),
    and bodies that take longer than ``timeout_s`` to arrive (408).

    A declared ``Content-Length`` over the limit is refused before anything is read; a
    chunked body is counted as the application reads it and refused at the first chunk past
    the limit. A response to a request whose body was not read to the end closes the
    connection, so an endless body sent to a route that ignores it stops there too.
    """

    def __init__(self, app: ASGIApp, *, limit: int, upload_limit: int, timeout_s: float) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = str(scope.get("path", "")).startswith(UPLOAD_PATHS)
        # multipart framing adds a little on top of the file itself
        limit = self.upload_limit + MULTIPART_SLACK if upload else self.limit
        headers = dict(scope.get("headers") or [])
        length = _int_or_none(headers.get(b"content-length"))
        if length is not None and length > limit:
            await _reject(send, 413, _too_large_message(limit, upload))
            return
        has_body = bool(length) or b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        deadline = asyncio.get_running_loop().time() + self.timeout_s
        received = 0
        body_done = not has_body
        started = False

        async def limited_receive() -> Message:
            nonlocal received, body_done
            if body_done:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise _BodyRefused(
                    408, f"The request body did not arrive within {self.timeout_s:g} s."
                ) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if received > limit:
                    raise _BodyRefused(413, _too_large_message(limit, upload))
            else:
                body_done = True
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if not body_done:  # the rest of the body is not worth waiting for
                    message = {**message, "headers": [*message.get("headers", []), _CLOSE]}
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyRefused as exc:  # raised where no exception handler answered it
            if not started:
                await _reject(send, exc.status_code, str(exc.detail))


MULTIPART_SLACK = 64 * 1024
_CLOSE = (b"connection", b"close")
_CODES = {408: "request_timeout", 413: "payload_too_large"}


def _int_or_none(value: bytes | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _too_large_message(limit: int, upload: bool) -> str:
    if upload:
        return f"The file is larger than the upload limit ({_human(limit - MULTIPART_SLACK)})."
    return f"The request body is larger than {limit} bytes."


async def _reject(send: Send, status: int, message: str) -> None:
    body = json.dumps(error_body(_CODES[status], message)).encode()
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        _CLOSE,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _human(size: int) -> str:
    """10485760 → "10 MiB"."""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:g} {unit}" if unit == "bytes" else f"{size:.3g} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} bytes"
