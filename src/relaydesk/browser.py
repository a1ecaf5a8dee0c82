"""What browsers are told: security headers on every response, and CORS by app.

Every response gets ``X-Content-Type-Options: nosniff`` and a ``Referrer-Policy``; a
response that sets no Content-Security-Policy of its own (the JSON API) gets one that lets
it do nothing when opened as a page, and may not be framed. The pages set their own (the
dashboard in ``web/api.py``, the widget demo in ``widget/api.py``, files in
``uploads/api.py``).

CORS: the API uses bearer tokens, never cookies. A cross-origin request gets
``Access-Control-Allow-Origin`` unless the app it belongs to refused its origin: a
contact's request (the widget's) or a widget session from an origin missing from the
app's ``allowed_origins`` is answered 403 ``origin_not_allowed`` without that header.
Preflights carry no token, so the app is not known yet: they are answered for any origin,
and the request that follows is the one checked, before it changes anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relaydesk.errors import CORS_REFUSED, Forbidden

#: what a response that sets nothing else may do as a page: nothing, and not inside a frame
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
REFERRER_POLICY = "strict-origin-when-cross-origin"
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE"
CORS_HEADERS = "Authorization, Content-Type"
CORS_MAX_AGE = "3600"
_DEFAULT_PORTS = {"http": 80, "https": 443}


class OriginNotAllowed(Forbidden):
    code = "origin_not_allowed"
    cors = False


def normalise_origin(value: str) -> str:
    """``scheme://host[:port]`` in lower case, without a default port; ValueError otherwise."""
    raw = value.strip()
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an origin") from exc
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"{value!r} is not an origin: it needs http:// or https:// and a host")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "?" in raw or "#" in raw:
        raise ValueError(f"{value!r} is not an origin: no path, query or fragment")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{value!r} is not an origin: no user or password")
    scheme, host = parts.scheme.lower(), parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def foreign_origin(conn: HTTPConnection, public_url: str | None) -> str | None:
    """The request's ``Origin`` when it is another site's; None when absent or our own.

    Our own: the host the request was sent to (whatever the scheme a proxy terminated) or
    the origin of ``public_url``. An unparsable origin (and ``null``) is kept as it came.
    """
    origin = conn.headers.get("origin")
    if not origin:
        return None
    try:
        normal = normalise_origin(origin)
    except ValueError:
        return origin
    host = conn.headers.get("host", "").lower()
    if host and urlsplit(normal).netloc == host:
        return None
    if public_url:
        parts = urlsplit(public_url)
        try:
            if normal == normalise_origin(f"{parts.scheme}://{parts.netloc}"):
                return None
        except ValueError:
            pass
    return normal


def origin_allowed(origin: str | None, allowed: Iterable[str]) -> bool:
    """Whether a foreign ``origin`` (None: our own, or none sent) may call; empty: any may."""
    allowed = tuple(allowed)
    return origin is None or not allowed or origin in allowed


def not_allowed(origin: str) -> OriginNotAllowed:
    """The 403 ``origin_not_allowed`` error for a refused website."""
    return OriginNotAllowed(
        "This app does not accept requests from this website.", details={"origin": origin[:200]}
    )


class BrowserPolicy:
    """Pure ASGI middleware: the security headers of every answer, and CORS without
    credentials (``*``): preflights for any origin, every answer unless its origin was
    refused."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        asked = Headers(scope=scope)
        cross_origin = "origin" in asked
        if (
            cross_origin
            and scope["method"] == "OPTIONS"
            and "access-control-request-method" in asked
        ):
            await self._preflight(send)
            return
        state = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                _security_headers(headers)
                if cross_origin:
                    if state.get(CORS_REFUSED):
                        del headers["access-control-allow-origin"]
                    else:
                        headers.setdefault("Access-Control-Allow-Origin", "*")
                    headers.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    async def _preflight(send: Send) -> None:
        headers = MutableHeaders(
            {
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Methods": CORS_METHODS,
                "Access-Control-Allow-Headers": CORS_HEADERS,
                "Access-Control-Max-Age": CORS_MAX_AGE,
                "Vary": "Origin",
                "Content-Length": "0",
            }
        )
        _security_headers(headers)
        await send({"type": "http.response.start", "status": 200, "headers": headers.raw})
        await send({"type": "http.response.body", "body": b""})


def _security_headers(headers: MutableHeaders) -> None:
    """``nosniff``, the referrer policy and (unless the route set one) the API's CSP."""
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("Referrer-Policy", REFERRER_POLICY)
    if "content-security-policy" not in headers:
        if not headers.get("content-type", "").startswith("text/html"):
            headers["Content-Security-Policy"] = API_CSP
        headers.setdefault("X-Frame-Options", "DENY")
