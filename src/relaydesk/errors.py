"""The error envelope of api.md and the handlers that make every error use it."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("relaydesk")


#: the request's state key set when its website was refused: the answer gets no CORS header
CORS_REFUSED = "cors_refused"


class ApiError(Exception):
    """An error answered as ``{"error": {code, message, details}}``."""

    status_code = 400
    code = "bad_request"
    #: False: answered without ``Access-Control-Allow-Origin`` (the website was refused)
    cors = True

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code


class BadRequest(ApiError):
    status_code, code = 400, "bad_request"


class Unauthorized(ApiError):
    status_code, code = 401, "unauthorized"


class Forbidden(ApiError):
    status_code, code = 403, "forbidden"


class NotFound(ApiError):
    status_code, code = 404, "not_found"


class Conflict(ApiError):
    status_code, code = 409, "conflict"


class PayloadTooLarge(ApiError):
    status_code, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError):
    status_code, code = 415, "unsupported_media_type"


class Invalid(ApiError):
    status_code, code = 422, "validation_error"


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    message: str
    details: Any = None


class ErrorOut(BaseModel):
    """The error shape of every 4xx and 5xx answer."""

    model_config = ConfigDict(extra="forbid")
    error: ErrorDetail


#: what each error status means, as the OpenAPI document says it
ERROR_STATUSES = {
    400: "Malformed request (body not JSON, NUL character in the URL)",
    401: "Missing, unknown, revoked or expired token",
    403: "The token may not do this",
    404: "No such object (or not visible to the caller)",
    408: "The request body did not arrive in time",
    409: "Conflicts with the current state",
    413: "The body is larger than the limit",
    415: "The type is not allowed",
    422: "Invalid fields",
    429: "Rate limited (see Retry-After)",
    503: "The database cannot be reached right now (see Retry-After)",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route for these error statuses, each in the error shape."""
    return {s: {"model": ErrorOut, "description": ERROR_STATUSES[s]} for s in statuses}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return {"error": body}


def _json_safe(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        item = {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
        out.append(item)
    return out


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def database_unavailable(exc: BaseException) -> bool:
    """The database is down, restarting or unreachable (not a bug of ours): answer 503."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, sa_exc.TimeoutError | sa_exc.DisconnectionError):
            return True  # the pool could not hand out a working connection in time
        if isinstance(current, sa_exc.OperationalError | sa_exc.InterfaceError):
            return True  # connection refused or lost, server shutting down, SQLite locked
        if isinstance(current, ConnectionError | TimeoutError) or (
            isinstance(current, OSError) and current.errno is not None
        ):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


def install_error_handlers(app: FastAPI) -> None:
    """Route every error (ours, validation, unknown routes, crashes) through the envelope."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        if not exc.cors:
            request.scope.setdefault("state", {})[CORS_REFUSED] = True
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(
                error_body("malformed_json", "The request body is not valid JSON."),
                status_code=400,
            )
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        msg = f"{where}: {first.get('msg')}" if where else str(first.get("msg", "invalid"))
        return JSONResponse(
            error_body("validation_error", msg, _json_safe(errors)), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and message == "Not Found":
            message = "No such resource."
        return JSONResponse(
            error_body(code, message), status_code=exc.status_code, headers=exc.headers
        )

    async def _database_or_crash(request: Request, exc: Exception) -> JSONResponse:
        # registered for the exception types themselves (not only ``Exception``), so the
        # answer is sent by the exception middleware and nothing is re-raised to the server
        if database_unavailable(exc):
            log.warning("database unavailable: %s: %s", type(exc).__name__, exc)
            return JSONResponse(
                error_body(
                    "database_unavailable",
                    "The database cannot be reached right now; nothing was changed. Retry.",
                ),
                status_code=503,
                headers={"Retry-After": "1"},
            )
        return await _crash(request, exc)

    app.add_exception_handler(sa_exc.SQLAlchemyError, _database_or_crash)
    app.add_exception_handler(OSError, _database_or_crash)

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(
            error_body("internal_error", "Something went wrong on our side."), status_code=500
        )
