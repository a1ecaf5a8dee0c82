"""The chat widget: ``/widget.js``, the demo page, and the widget's own endpoints.

``POST /api/v1/conversations/{id}/handoff`` is the widget's "Talk to a human": the human
routing rules take over from an AI agent. ``GET /api/v1/conversations/{id}/queue`` tells a
waiting contact its place in the queue.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from relaydesk.actions import routing as actions
from relaydesk.apps.models import App
from relaydesk.conversations import service as conversations
from relaydesk.conversations.api import for_caller
from relaydesk.conversations.schemas import ConversationOut
from relaydesk.deps import AppPrincipal, BrokerDep, SessionDep, SettingsDep
from relaydesk.errors import NotFound
from relaydesk.routing import service as routing
from relaydesk.schemas import Out

router = APIRouter(tags=["widget"])

STATIC = Path(__file__).parent / "static"
MODULES = STATIC / "widget"  # the ES modules /widget.js loads, served at /widget/<name>.js
MODULE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,40}")
DEMO_APP_NAME = "relaydesk demo"  # the app `relaydesk demo` creates


class HandoffOut(Out):
    """The conversation after the request, and whether it changed hands."""

    conversation: ConversationOut
    handed_off: bool
    queue_position: int | None = None


class QueueOut(Out):
    status: str
    position: int | None


@lru_cache(maxsize=1)
def _widget_js(mtime: float) -> bytes:
    return (STATIC / "widget.js").read_bytes()


@router.get("/widget.js", include_in_schema=False)
async def widget_js() -> Response:
    """The widget's loader: a classic script that imports the ES modules below."""
    path = STATIC / "widget.js"
    body = _widget_js(path.stat().st_mtime)
    return Response(
        body,
        media_type="application/javascript; charset=utf-8",
        headers={
            "Cache-Control": "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


@lru_cache(maxsize=64)
def _module_js(name: str, mtime: float) -> bytes:
    return (MODULES / f"{name}.js").read_bytes()


@router.get("/widget/{name}.js", include_in_schema=False)
async def widget_module(name: str) -> Response:
    """One of the widget's ES modules (``static/widget/<name>.js``), loaded by /widget.js."""
    path = MODULES / f"{name}.js"
    if not MODULE_NAME.fullmatch(name) or not path.is_file():
        raise NotFound("No such widget module.")
    body = _module_js(name, path.stat().st_mtime)
    return Response(
        body,
        media_type="text/javascript; charset=utf-8",
        headers={
            "Cache-Control": "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
            "Cross-Origin-Resource-Policy": "cross-origin",
            # module scripts are fetched in CORS mode: any site may embed the widget
            "Access-Control-Allow-Origin": "*",
        },
    )


DEMO_STYLE = """
  /* deliberately loud host-page styles: the widget's Shadow DOM keeps them out */
  body { font-family: Georgia, serif; margin: 0; padding: 2rem 3rem; background: #f6f3ea;
         color: #333; }
  button { background: hotpink !important; font-size: 30px; }
  div, p { letter-spacing: 0.05em; }
  pre { background: #fff; padding: 1rem; border: 1px solid #ddd; overflow: auto;
        white-space: pre-wrap; word-break: break-all; }
  main { max-width: 560px; }
"""
DEMO_STYLE_HASH = base64.b64encode(hashlib.sha256(DEMO_STYLE.encode()).digest()).decode()

DEMO_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>relaydesk widget demo</title>
<style>{style}</style>
</head>
<body>
<main>
<h1>Acme Outdoor Gear</h1>
<p>This page embeds the relaydesk chat widget with the snippet below
(app <code>{app_id}</code>). Open the chat in the bottom-right corner.</p>
<pre>{snippet_shown}</pre>
</main>
{snippet}
</body>
</html>
"""


def snippet(base_url: str, app_id: str) -> str:
    """The embed snippet for an app: one script tag, no inline script (fits a strict CSP)."""
    src, app = html.escape(f"{base_url}/widget.js"), html.escape(app_id)
    return f'<script async src="{src}" data-app-id="{app}"></script>'


def demo_csp(base_url: str, allowed_origins: list[str] | None) -> str:
    """The demo page's policy: the strict CSP a customer's page may have, and framable by
    the app's allowed origins (any site when it has none)."""
    parts = urlsplit(base_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    socket = "ws" + origin.removeprefix("http")
    ancestors = " ".join(["'self'", *allowed_origins]) if allowed_origins else "*"
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {origin}",
            f"style-src 'self' 'sha256-{DEMO_STYLE_HASH}'",
            "img-src 'self' data: blob: https: http:",
            "media-src 'self' blob: https: http:",
            # the widget's API and socket; forms may post to the sites their template names
            f"connect-src 'self' {origin} {socket} https:",
            "frame-src https://www.youtube.com https://www.youtube-nocookie.com",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            f"frame-ancestors {ancestors}",
        ]
    )


@router.get("/widget/demo", response_class=HTMLResponse, include_in_schema=False)
async def widget_demo(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    app_id: str | None = Query(default=None, max_length=40),
) -> HTMLResponse:
    """A host page with the snippet for ``?app_id=`` (default: the demo app)."""
    app = (
        await session.get(App, app_id)
        if app_id
        else await session.scalar(
            select(App).where(App.name == DEMO_APP_NAME).order_by(App.created_at).limit(1)
        )
    )
    if app is None:
        return HTMLResponse(
            "<!doctype html><title>No app</title><p>No such app. Run <code>relaydesk demo</code> "
            "or pass <code>?app_id=</code>.</p>",
            status_code=404,
            headers={"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"},
        )
    base = (settings.public_url or str(request.base_url)).rstrip("/")
    code = snippet(base, app.id)
    page = DEMO_PAGE.format(
        style=DEMO_STYLE, app_id=html.escape(app.id), snippet_shown=html.escape(code), snippet=code
    )
    headers = {
        "Cache-Control": "no-store",
        "Content-Security-Policy": demo_csp(base, app.allowed_origins),
    }
    return HTMLResponse(page, headers=headers)


@router.post("/api/v1/conversations/{conversation_id}/handoff", response_model=HandoffOut)
async def handoff(
    conversation_id: str, session: SessionDep, principal: AppPrincipal, broker: BrokerDep
) -> HandoffOut:
    """Hand the conversation from its AI agent to humans by the human routing rules.

    With a human (or nobody) already on it, nothing changes (200, ``handed_off: false``).
    """
    out, handed_off, position = await actions.request_handoff(
        session, broker, principal=principal, conversation_id=conversation_id
    )
    return HandoffOut(
        conversation=for_caller(principal, out), handed_off=handed_off, queue_position=position
    )


@router.get("/api/v1/conversations/{conversation_id}/queue", response_model=QueueOut)
async def queue_position(
    conversation_id: str, session: SessionDep, principal: AppPrincipal
) -> QueueOut:
    """The conversation's 1-based place in the app's waiting queue (null when not waiting)."""
    conversation = await conversations.get_visible(
        session, principal=principal, conversation_id=conversation_id
    )
    position = await routing.waiting_position(session, conversation=conversation)
    return QueueOut(status=conversation.status, position=position)
