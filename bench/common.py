"""What the benchmarks share: the PostgreSQL URL, production worker timings, percentiles, and
the run record (when, on which commit, how loaded the machine was) every result file keeps."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_PG = os.environ.get(
    "RELAYDESK_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)

#: the production defaults of the worker and pool knobs (tests.support speeds the workers up
#: and shrinks the pool to 3 + 6 overflow for tests, which would open and close a
#: connection per request past 9 at once)
PRODUCTION_WORKERS = {
    "RELAYDESK_DB_POOL_SIZE": "20",
    "RELAYDESK_DB_MAX_OVERFLOW": "20",
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


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout


def git_commit() -> str | None:
    """HEAD of the checkout being measured."""
    out = _git("rev-parse", "HEAD")
    return out.strip() if out else None


def uncommitted() -> list[str]:
    """Files of the measured code (``src/``, ``pyproject.toml``) that differ from HEAD."""
    out = _git("status", "--porcelain", "--", "src", "pyproject.toml") or ""
    return [line[3:] for line in out.splitlines() if line.strip()]


#: the checkout when this benchmark process started (this module is imported at its start);
#: the code under test is loaded then, so that is the commit the figures belong to
_AT_START = {
    "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "commit": git_commit(),
    "uncommitted": uncommitted(),
}


def run_info(started: float, load_before: float) -> dict[str, Any]:
    """The run record: ``started`` is ``time.monotonic()`` at the start, ``load_before`` the
    1-minute load average then. Commit and uncommitted files are those at the start; if
    either changed by the end (someone committed or edited meanwhile), the end state is
    recorded too."""
    info: dict[str, Any] = {
        "started": _AT_START["timestamp"],
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": _AT_START["commit"],
        "uncommitted": _AT_START["uncommitted"],
        "loadavg_1m": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "wall_seconds": round(time.monotonic() - started, 1),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "argv": sys.argv[1:],
    }
    commit, dirty = git_commit(), uncommitted()
    if commit != info["commit"]:
        info["commit_at_end"] = commit
    if dirty != info["uncommitted"]:
        info["uncommitted_at_end"] = dirty
    return info
