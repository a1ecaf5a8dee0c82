"""``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relaydesk.metrics import refresh_queues

router = APIRouter(tags=["health"])
log = logging.getLogger("relaydesk")

REQUESTS = Counter("relaydesk_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "relaydesk_http_request_duration_seconds", "HTTP request latency", ["method", "route"]
)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz")
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


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus text format; the queue gauges are read from the database now."""
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

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope.get("method", "")
            LATENCY.labels(method, route).observe(time.perf_counter() - start)
            REQUESTS.labels(method, route, str(status)).inc()
