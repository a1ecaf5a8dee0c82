"""``GET /api/v1/ws``: committed events as ``{"type", "data"}`` frames, per the caller's view.

Protocol:

- Authenticate with ``?token=<token>`` or, without it, a first frame
  ``{"type": "auth", "token": "…"}`` within 10 s. A missing, bad or expired token closes
  the socket with code 4401; the operator token (it belongs to no app) with 4403, and so
  is a contact's socket opened from a website its app does not allow (``allowed_origins``).
- Once subscribed the server sends ``{"type": "ready", "data": {"app_id", "principal"}}``;
  every event committed after that frame is delivered (on every process when Redis is set).
- Event frames: ``{"type", "data", "id", "created_at"}``. Visibility rules: see
  :mod:`relaydesk.realtime.hub`.
- Heartbeat: an idle socket gets ``{"type": "ping"}`` every ``ws_heartbeat_s`` (25 s);
  a client may send ``{"type": "ping"}`` at any time and gets ``{"type": "pong"}``.
- A client that falls more than 1000 frames behind is closed with 4429.
- Caps per process: one contact, agent or API key holds at most ``ws_max_per_principal``
  sockets, an app's contacts together ``ws_max_contacts_per_app``; one more is closed with
  4409 (do not retry at once: close another socket first).
- Catch-up after a reconnect: wait for ``ready``, then fetch
  ``GET /api/v1/conversations/{id}/messages?after=<last message id seen>`` (and the
  conversation) for the conversations on screen; de-duplicate by message id, since a
  message may arrive both ways.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from relaydesk.browser import foreign_origin, origin_allowed
from relaydesk.deps import Principal, resolve_token
from relaydesk.realtime.hub import Hub, Subscriber
from relaydesk.security import hash_token

router = APIRouter(tags=["realtime"])

AUTH_TIMEOUT_S = 10.0
CLOSE_BAD_TOKEN = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_MANY = 4409
CLOSE_TOO_SLOW = 4429
PING = json.dumps({"type": "ping"})
PONG = json.dumps({"type": "pong"})


def _hub(websocket: WebSocket) -> Hub:
    """The process's hub, created on first use."""
    state = websocket.app.state
    hub: Hub | None = getattr(state, "ws_hub", None)
    if hub is None:
        hub = state.ws_hub = Hub(
            state.broker,
            max_contacts_per_app=state.settings.ws_max_contacts_per_app,
            max_per_principal=state.settings.ws_max_per_principal,
        )
    return hub


async def _first_frame_token(websocket: WebSocket) -> str | None:
    """The token of an ``{"type": "auth", "token"}`` first frame, if one comes in time."""
    try:
        raw = await asyncio.wait_for(websocket.receive_text(), AUTH_TIMEOUT_S)
        frame = json.loads(raw)
    except (TimeoutError, ValueError, KeyError, RuntimeError, WebSocketDisconnect):
        return None
    if isinstance(frame, dict) and frame.get("type") == "auth":
        token = frame.get("token")
        return token if isinstance(token, str) else None
    return None


async def _principal(websocket: WebSocket, token: str) -> Principal | None:
    async with websocket.app.state.read_sessionmaker() as session:  # no write lock on SQLite
        return await resolve_token(session, websocket.app.state.settings, token)


async def _receive(websocket: WebSocket, sub: Subscriber) -> None:
    """Answer client pings; anything else is ignored. Ends the send loop when the client
    goes away."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            sub.gone = True
            sub.queue.put_nowait(None)
            return
        text = message.get("text")
        if not text:
            continue
        try:
            frame: Any = json.loads(text)
        except ValueError:
            continue
        if isinstance(frame, dict) and frame.get("type") == "ping":
            sub.queue.put_nowait(PONG)


async def _send(websocket: WebSocket, sub: Subscriber, heartbeat_s: float) -> None:
    """Send queued frames, a ping when idle; close when the hub gives up on the socket."""
    while True:
        try:
            # asyncio.timeout, not wait_for: no extra task per idle socket
            async with asyncio.timeout(heartbeat_s):
                item = await sub.queue.get()
        except TimeoutError:
            await websocket.send_text(PING)
            continue
        if item is None:
            if sub.gone:
                return
            if sub.revoked:
                await websocket.close(CLOSE_BAD_TOKEN, "the token was revoked")
            elif sub.overflowed:
                await websocket.close(CLOSE_TOO_SLOW, "too far behind; reconnect and catch up")
            else:
                await websocket.close(1011, "event stream interrupted; reconnect")
            return
        await websocket.send_text(item)


@router.websocket("/api/v1/ws")
async def events_socket(websocket: WebSocket, token: str | None = None) -> None:
    """Committed events of the caller's app, filtered to what the caller may see."""
    await websocket.accept()
    token = token or await _first_frame_token(websocket)
    principal = await _principal(websocket, token) if token else None
    if principal is None:
        await websocket.close(CLOSE_BAD_TOKEN, "a valid token is required")
        return
    if principal.kind == "operator" or principal.app_id is None:
        await websocket.close(CLOSE_FORBIDDEN, "the operator token has no events; use an app token")
        return
    if principal.kind == "contact" and not origin_allowed(
        foreign_origin(websocket, websocket.app.state.settings.public_url),
        principal.allowed_origins,
    ):
        await websocket.close(CLOSE_FORBIDDEN, "origin_not_allowed")
        return
    sub = Subscriber(
        kind=principal.kind,
        app_id=principal.app_id,
        principal_id=principal.id,
        token_hash=hash_token(token or ""),
    )
    hub = _hub(websocket)
    refusal = hub.refusal(sub)
    if refusal is not None:
        await websocket.close(CLOSE_TOO_MANY, refusal)
        return
    await hub.add(sub)
    tasks: list[asyncio.Task[None]] = []
    try:
        ready = {
            "type": "ready",
            "data": {
                "app_id": principal.app_id,
                "principal": {"type": principal.kind, "id": principal.id},
            },
        }
        await websocket.send_text(json.dumps(ready))
        heartbeat_s = float(websocket.app.state.settings.ws_heartbeat_s)
        # two coroutines per socket: receiving in a task, sending in this handler
        tasks = [asyncio.create_task(_receive(websocket, sub))]
        await _send(websocket, sub, heartbeat_s)
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    finally:
        hub.remove(sub)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
