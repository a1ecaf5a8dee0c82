"""``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

import hmac
import logging
import time
import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relaydesk.errors import error_responses
from relaydesk.metrics import refresh_queues

router = APIRouter(tags=["health"])
log = logging.getLogger("relaydesk")
#: one line per request (the JSON log format turns uvicorn's access log off for it)
requests_log = logging.getLogger("relaydesk.requests")


def _request_id(scope: Scope) -> str:
    """The caller's X-Request-Id (if short and plain), else a new one."""
    for name, value in scope.get("headers") or []:
        if name == b"x-request-id" and 0 < len(value) <= 64 and value.isascii():
            text = value.decode()
            if text.replace("-", "").replace("_", "").isalnum():
                return text
    return uuid.uuid4().hex


REQUESTS = Counter("relaydesk_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "relaydesk_http_request_duration_seconds", "HTTP request latency", ["method", "route"]
)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", responses=error_responses(503))
async def readyz(request: Request) -> JSONResponse:
    """The database answers."""
    try:
        async with request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return JSONResponse(
            {
                "error": {
                    "code": "not_ready",
                    "message": f"database unreachable: {type(exc).__name__}",
                }
            },
            status_code=503,
        )
    return JSONResponse({"status": "ready"})


@router.get("/metrics", response_class=PlainTextResponse, responses=error_responses(401))
async def metrics(request: Request) -> Response:
    """Prometheus text format; the queue gauges are read from the database now.

    With ``RELAYDESK_METRICS_TOKEN`` set, only a scraper holding it may read them.
    """
    wanted = request.app.state.settings.metrics_token
    if wanted:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {wanted}".encode()):
            return JSONResponse(
                {"error": {"code": "invalid_token", "message": "The metrics token is needed."}},
                status_code=401,
            )
    try:
        async with request.app.state.read_sessionmaker() as session:
            await refresh_queues(session)
    except Exception:  # noqa: BLE001 - the database is down: report the rest (readyz says why)
        log.warning("metrics: could not read the queues", exc_info=True)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class RequestMetrics:
    """Pure ASGI middleware counting requests and timing them per route template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        request_id = _request_id(scope)

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers") or [])
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope.get("method", "")
            seconds = time.perf_counter() - start
            LATENCY.labels(method, route).observe(seconds)
            REQUESTS.labels(method, route, str(status)).inc()
            if requests_log.isEnabledFor(logging.INFO):
                state = scope.get("state") or {}
                requests_log.info(
                    "%s %s %s",
                    method,
                    route,
                    status,
                    extra={
                        "request_id": request_id,
                        "app_id": state.get("app_id"),
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                    },
                )
