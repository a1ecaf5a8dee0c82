"""Log filtering: secrets that travel in URLs (``?token=``, ``&sig=``) never reach a log."""

from __future__ import annotations

import logging
import re

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
