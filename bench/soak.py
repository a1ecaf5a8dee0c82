"""The soak of tests/faults/test_soak.py, for as long as you like.

    .venv/bin/python -m bench.soak --minutes 10
    .venv/bin/python -m bench.soak --minutes 30 --rate 40 --processes 3

Prints what the run produced (messages, conversations, drain time, RSS of each process at
the start and the end) and every broken guarantee; exit status 1 if there was one. Uses
PostgreSQL at $RELAYDESK_TEST_DATABASE_URL (a database of its own, dropped afterwards)
and Redis at $RELAYDESK_TEST_REDIS_URL.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.faults import soak  # noqa: E402
from tests.support import create_postgres_database, drop_postgres_database  # noqa: E402

from bench.common import DEFAULT_PG  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=15.0, help="contact messages per second")
    parser.add_argument("--conversations", type=float, default=1.0, help="new per second")
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("RELAYDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
    )
    args = parser.parse_args(argv)
    load = soak.Load(
        seconds=args.minutes * 60,
        messages_per_s=args.rate,
        conversations_per_s=args.conversations,
        processes=args.processes,
    )
    url = create_postgres_database(args.postgres_url)
    try:
        with tempfile.TemporaryDirectory(prefix="relaydesk-soak-") as tmp:
            outcome = soak.run(url, args.redis_url, Path(tmp), load)
    finally:
        drop_postgres_database(url)
    for name, value in soak.summary(outcome):
        print(f"| {name:32} | {value} |")
    problems = soak.check(outcome)
    for problem in problems:
        print("BROKEN:", problem)
    print("all guarantees held" if not problems else f"{len(problems)} broken guarantees")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
