"""The server's clock for business hours: the real time, shifted by
``RELAYDESK_TEST_CLOCK_OFFSET_S`` (tests only; 0 in production). Every process reads the
same setting, so several processes agree on what time it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def configure(offset_s: float) -> None:
    global _offset
    _offset = timedelta(seconds=offset_s)


def now() -> datetime:
    """The current time (UTC) as business hours see it."""
    return datetime.now(UTC) + _offset
