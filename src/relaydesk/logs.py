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


class RedactSecrets(logging.Filter):
    """Redacts secret query values in a record's arguments (and its message).

    The arguments are kept as a tuple of the same shape: uvicorn's access formatter reads
    them by position.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
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
