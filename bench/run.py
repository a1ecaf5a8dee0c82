"""Every benchmark with shortened durations, then docs/benchmarks.md from their results.

Run from the repository root: ``python3 dev.py bench`` (or ``.venv/bin/python -m bench.run``);
``python3 dev.py bench ingest ai_turns`` runs only those two (the page keeps the others'
last results, each with its own date). About 6 minutes for all five on 2 cores.

PostgreSQL: ``$RELAYDESK_TEST_DATABASE_URL`` (default
``postgresql+asyncpg://postgres@127.0.0.1:5432/test``); each benchmark that needs it creates
its own database next to it and drops it afterwards. Redis (fan-out):
``$RELAYDESK_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``). A benchmark that fails
is reported and the others still run; the exit status is then 1.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as ``python bench/run.py``
    sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402

PG = os.environ.get(
    "RELAYDESK_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS = os.environ.get("RELAYDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

#: every case of each benchmark, with its per-case time shortened (its defaults in brackets)
SHORT: dict[str, list[str]] = {
    # 2 backends x 3 levels x 3 cases, each <= 3 s [8 s] or 400 operations [1500]
    "ingest": ["--requests", "400", "--max-seconds", "3", "--warmup", "30", "--postgres-url", PG],
    # no flags: 3 sizes x 5 cases x 5 repeats of 0.2 s, about 15 s
    "routing_engine": [],
    # 2 levels x 5 cases, each <= 3 s [8 s] or 1000 operations [3000]
    "routing_http": ["--requests", "1000", "--max-seconds", "3", "--postgres-url", PG],
    # 12 cases of 2 s [4 s] + 0.5 s warm-up [1 s]; head of line: 2 ABBA rounds of 8 s per side
    "ai_turns": ["--seconds", "2", "--warmup", "0.5", "--postgres-url", PG],
    # 5 rates x 3 cases of 2 s [3 s]; idle sockets 1000 and 2000 [up to 3000]
    "fanout": [
        "--backend",
        "postgres",
        "--seconds",
        "2",
        "--sockets",
        "1000,2000",
        "--redis-url",
        REDIS,
    ],
}


def main(argv: list[str] | None = None) -> int:
    names = list(sys.argv[1:] if argv is None else argv) or list(report.ORDER)
    unknown = [n for n in names if n not in SHORT]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(SHORT)}")
        return 2
    names = [n for n in report.ORDER if n in names]  # always in the documented order
    env = {
        **os.environ,
        "RELAYDESK_TEST_DATABASE_URL": PG,  # fanout reads it from the environment
        "RELAYDESK_TEST_REDIS_URL": REDIS,
        "PYTHONUNBUFFERED": "1",
    }
    started = time.monotonic()
    took: dict[str, float] = {}
    failed: list[str] = []
    for name in names:
        cmd = [sys.executable, "-m", f"bench.{name}", *SHORT[name]]
        print(f"\n=== {name}: python -m bench.{name} {' '.join(SHORT[name])}", flush=True)
        t0 = time.monotonic()
        rc = subprocess.call(cmd, cwd=ROOT, env=env)
        took[name] = time.monotonic() - t0
        print(f"=== {name}: {took[name]:.0f} s" + (f", FAILED (exit {rc})" if rc else ""))
        if rc:
            failed.append(name)
    total = time.monotonic() - started
    path = report.write({n: s for n, s in took.items() if n not in failed}, total)
    print(f"\nall benchmarks: {total:.0f} s" + (f"; failed: {', '.join(failed)}" if failed else ""))
    print(f"wrote {path.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
