"""The agent dashboard: ``GET /`` (a Jinja2 shell) and its static files under ``/static/dashboard``.

Everything the dashboard shows comes from the JSON API and the WebSocket; this module
only serves the page and the vendored assets, with a strict Content-Security-Policy
(no inline scripts, nothing fetched from other origins).
"""

from __future__ import annotations

import mimetypes
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from relaydesk.errors import NotFound

router = APIRouter(include_in_schema=False)

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
STATIC_PREFIX = "/static/dashboard"

#: images in rich messages may come from anywhere; scripts, styles and sockets only from here
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob: https: http:",
        "connect-src 'self' ws: wss:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/css", ".css")
mimetypes.add_type("image/svg+xml", ".svg")


@lru_cache(maxsize=1)
def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        auto_reload=False,
    )


@lru_cache(maxsize=1)
def _asset_version() -> str:
    """Changes whenever a static file changes, so browsers never run stale modules."""
    stamp = max((p.stat().st_mtime_ns for p in STATIC.rglob("*") if p.is_file()), default=0)
    return format(stamp, "x")


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request) -> HTMLResponse:
    """The dashboard shell; the page logs in and loads its data through the API."""
    html = (
        _templates()
        .get_template("index.html")
        .render(static=STATIC_PREFIX, version=_asset_version())
    )
    return HTMLResponse(html, headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})


@router.get(STATIC_PREFIX + "/{path:path}")
async def dashboard_static(path: str) -> Response:
    """A file of the dashboard's vendored assets (never outside the static folder)."""
    target = (STATIC / path).resolve()
    if not target.is_file() or not target.is_relative_to(STATIC):
        raise NotFound("No such file.")
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return FileResponse(
        target,
        media_type=media_type,
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
