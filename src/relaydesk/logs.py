"""Logs: secrets that travel in URLs (``?token=``, ``&sig=``) never reach a log, and with
``RELAYDESK_LOG_FORMAT=json`` every line is one JSON object (request id, app id, route,
status, duration; turn id, kind, outcome). Message texts are never logged."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

_SECRET_QUERY = re.compile(
    r"(?P<name>[?&](?:token|sig|signature|secret|password|api_key|key)=)[^&\s\"']+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """The text with secret query-string values replaced by ``[redacted]``."""
    return _SECRET_QUERY.sub(r"\g<name>[redacted]", text)


#: handshake headers that carry credentials (debug logs list every header of a WebSocket
#: handshake, one ``"< %s: %s"`` record each)
_SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie"}
_HEADER_LINES = {"< %s: %s", "> %s: %s"}


def _content_free(value: object) -> object:
    """A WebSocket frame (debug logs show each one) as its type and size: frames carry
    tokens (``{"type": "auth"}``) and message texts."""
    opcode, data = getattr(value, "opcode", None), getattr(value, "data", None)
    if opcode is not None and isinstance(data, bytes | bytearray | memoryview):
        return f"{getattr(opcode, 'name', opcode)} [{len(data)} bytes]"
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """Redacts secret query values in a record's arguments (and its message) and
    credential headers, and logs WebSocket frames without their content.

    The arguments are kept as a tuple of the same shape: uvicorn's access formatter reads
    them by position.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_content_free(a) for a in record.args)
            if record.msg in _HEADER_LINES and len(record.args) == 2:
                name = str(record.args[0])
                if name.lower() in _SECRET_HEADERS:
                    record.args = (name, "[redacted]")
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


#: the structured fields a record may carry (``logger.info(..., extra={...})``)
FIELDS = (
    "request_id",
    "app_id",
    "method",
    "route",
    "status",
    "duration_ms",
    "turn_id",
    "kind",
    "outcome",
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the known fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, default=str)
