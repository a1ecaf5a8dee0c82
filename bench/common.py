"""What the benchmarks share: the PostgreSQL URL, production worker timings, percentiles."""

from __future__ import annotations

import os

DEFAULT_PG = os.environ.get(
    "RELAYDESK_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)

#: the production defaults of the worker knobs (tests.support speeds them up for tests)
PRODUCTION_WORKERS = {
    "RELAYDESK_WORKER_POLL_S": "1.0",
    "RELAYDESK_TURN_BACKOFF_BASE_S": "1.0",
    "RELAYDESK_TURN_BACKOFF_MAX_S": "30",
    "RELAYDESK_WEBHOOK_BACKOFF_BASE_S": "2.0",
    "RELAYDESK_WEBHOOK_BACKOFF_MAX_S": "3600",
    "RELAYDESK_LOG_LEVEL": "warning",
}


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (``q`` in 0…1) of the values; NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q * len(ordered) + 0.5)))
    return ordered[rank - 1]
