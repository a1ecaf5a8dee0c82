"""Message ingest through the real HTTP server, with two baselines, on SQLite and PostgreSQL.

Run from the repository root: ``.venv/bin/python -m bench.ingest`` (``--help`` for flags).
Prints a table and writes ``bench/results/ingest.json``.

For each backend a fresh database is created (a SQLite file in a temporary directory, or
a new PostgreSQL database next to ``--postgres-url``, dropped afterwards), a real
``relaydesk serve`` subprocess is started on loopback (``tests.support.Server``), one app
and ``--conversations`` conversations are created, and then for each concurrency level:

- ``healthz``: ``GET /healthz`` on the same server, same client and concurrency: the cost
  of HTTP + ASGI + the client itself, with no database;
- ``messages``: ``POST /api/v1/conversations/{id}/messages`` (API key, ``sender: contact``,
  short text), round robin over the conversations;
- ``raw_insert``: the same ``INSERT INTO messages … RETURNING seq`` the server issues,
  through SQLAlchemy core, one transaction per row, from this process against the same
  database (an engine with ``pool_size = concurrency``; SQLite gets the server's pragmas
  and ``BEGIN IMMEDIATE``).

Every case gets a warm-up first, then at most ``--requests`` operations or
``--max-seconds`` seconds, whichever ends first. ``concurrency`` is the number of client
tasks, and the HTTP client's connection limit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as ``python bench/ingest.py``
    sys.path.insert(0, str(ROOT))

from tests.support import (  # noqa: E402
    Server,
    create_postgres_database,
    drop_postgres_database,
    new_app,
)

from bench.common import (  # noqa: E402
    DEFAULT_PG,
    PRODUCTION_WORKERS,
    git_commit,
    percentile,
    run_info,
)
from relaydesk.db import new_id, utcnow  # noqa: E402
from relaydesk.messages.models import Message  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "ingest.json"
MESSAGES = Message.__table__


@dataclass
class Sample:
    """One measured case: throughput and latency percentiles."""

    ops: int
    errors: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    mean_ms: float


Op = Callable[[int], Awaitable[None]]


async def drive(op: Op, *, total: int, concurrency: int, max_seconds: float) -> Sample:
    """Run ``op`` with ``concurrency`` tasks until ``total`` calls or ``max_seconds``."""
    latencies: list[float] = []
    errors: list[BaseException] = []
    counter = itertools.count()
    start = time.perf_counter()
    deadline = start + max_seconds

    async def worker() -> None:
        while True:
            i = next(counter)
            if i >= total or time.perf_counter() >= deadline:
                return
            t0 = time.perf_counter()
            try:
                await op(i)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(exc)
                continue
            latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    if errors:
        print(f"    {len(errors)} errors, first: {errors[0]!r}", file=sys.stderr)
    latencies.sort()
    ms = [x * 1000 for x in latencies]
    return Sample(
        ops=len(latencies),
        errors=len(errors),
        seconds=round(elapsed, 3),
        per_second=round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        p50_ms=round(percentile(ms, 0.50), 2),
        p99_ms=round(percentile(ms, 0.99), 2),
        mean_ms=round(sum(ms) / len(ms), 2) if ms else float("nan"),
    )


def raw_engine(url: str, concurrency: int) -> AsyncEngine:
    """An engine like the server's (``relaydesk.db.make_engine``) with ``concurrency`` conns."""
    if not url.startswith("sqlite"):
        return create_async_engine(url, pool_size=concurrency, max_overflow=0)
    engine = create_async_engine(
        url, pool_size=concurrency, max_overflow=0, connect_args={"timeout": 30}
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        for pragma in (
            "journal_mode=WAL",
            "foreign_keys=ON",
            "busy_timeout=30000",
            "synchronous=NORMAL",
        ):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@dataclass
class Target:
    """The server under test and the data the clients write into."""

    server: Server
    database_url: str
    app_id: str
    api_key: str
    conversations: list[tuple[str, str]]  # (conversation id, contact id)


def setup_target(database_url: str, workdir: Path, n_conversations: int) -> Target:
    """Start the server on a fresh database; create an app and its conversations."""
    server = Server(database_url=database_url, env=PRODUCTION_WORKERS, workdir=workdir).start(
        timeout=60
    )
    try:
        api = new_app(server.url, "ingest bench")
        conversations = []
        for n in range(n_conversations):
            conv = api.conversation(f"bench-contact-{n}")
            conversations.append((conv["id"], conv["contact"]["id"]))
        api.http.close()
    except BaseException:
        server.stop()
        raise
    return Target(server, database_url, api.app_id, api.token or "", conversations)


async def measure_level(
    target: Target, concurrency: int, args: argparse.Namespace
) -> dict[str, Any]:
    """The three cases at one concurrency level."""
    convs = target.conversations
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"authorization": f"Bearer {target.api_key}"}
    text = "Hello, I have a question about my order #12345 - it has not arrived yet."
    result: dict[str, Any] = {}
    async with httpx.AsyncClient(
        base_url=target.server.url, limits=limits, headers=headers, timeout=60
    ) as client:

        async def healthz(_: int) -> None:
            r = await client.get("/healthz")
            if r.status_code != 200:
                raise RuntimeError(f"healthz {r.status_code}: {r.text[:200]}")

        async def post_message(i: int) -> None:
            conv_id, _ = convs[i % len(convs)]
            r = await client.post(
                f"/api/v1/conversations/{conv_id}/messages",
                json={"sender": {"type": "contact"}, "text": text},
            )
            if r.status_code != 201:
                raise RuntimeError(f"messages {r.status_code}: {r.text[:200]}")

        for name, op in (("healthz", healthz), ("messages", post_message)):
            await drive(op, total=args.warmup, concurrency=concurrency, max_seconds=60)
            sample = await drive(
                op, total=args.requests, concurrency=concurrency, max_seconds=args.max_seconds
            )
            result[name] = sample
            print(f"  c={concurrency:<3} {name:<10} {_fmt(sample)}", file=sys.stderr)

    engine = raw_engine(target.database_url, concurrency)
    try:

        async def raw_insert(i: int) -> None:
            conv_id, contact_id = convs[i % len(convs)]
            async with engine.begin() as conn:
                await conn.execute(
                    insert(MESSAGES)
                    .values(
                        id=new_id("msg"),
                        app_id=target.app_id,
                        conversation_id=conv_id,
                        sender_type="contact",
                        sender_id=contact_id,
                        text=text,
                        attachments=[],
                        location=None,
                        metadata={},
                        client_message_id=None,
                        created_at=utcnow(),
                    )
                    .returning(MESSAGES.c.seq)
                )

        await drive(raw_insert, total=args.warmup, concurrency=concurrency, max_seconds=60)
        sample = await drive(
            raw_insert, total=args.requests, concurrency=concurrency, max_seconds=args.max_seconds
        )
        result["raw_insert"] = sample
        print(f"  c={concurrency:<3} {'raw_insert':<10} {_fmt(sample)}", file=sys.stderr)
    finally:
        await engine.dispose()
    return result


async def count_messages(database_url: str, app_id: str) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            return int(
                await conn.scalar(
                    select(func.count()).select_from(MESSAGES).where(MESSAGES.c.app_id == app_id)
                )
                or 0
            )
    finally:
        await engine.dispose()


def _fmt(s: Sample) -> str:
    return (
        f"{s.per_second:9.1f}/s  p50 {s.p50_ms:7.2f} ms  p99 {s.p99_ms:7.2f} ms  "
        f"({s.ops} ops, {s.errors} errors, {s.seconds:.1f} s)"
    )


@contextlib.contextmanager
def database(backend: str, workdir: Path, postgres_url: str) -> Iterator[str]:
    """A fresh empty database URL for the backend; removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        return
    url = create_postgres_database(postgres_url)
    try:
        yield url
    finally:
        drop_postgres_database(url)


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    """Every concurrency level on one backend, with its own server and database."""
    workdir = Path(tempfile.mkdtemp(prefix=f"rd-bench-{backend}-"))
    try:
        with database(backend, workdir, args.postgres_url) as url:
            print(f"{backend}: starting server, creating conversations…", file=sys.stderr)
            target = setup_target(url, workdir, args.conversations)
            try:
                levels = {}
                posted = 0
                for c in args.concurrency:
                    level = asyncio.run(measure_level(target, c, args))
                    levels[str(c)] = level
                    posted += level["messages"].ops + level["raw_insert"].ops
                    posted += 2 * args.warmup
                alive = target.server.proc is not None and target.server.proc.poll() is None
                stored = asyncio.run(count_messages(url, target.app_id))
            finally:
                target.server.stop()
            if not alive:
                raise RuntimeError(f"server died during the run:\n{target.server.log()}")
            if stored != posted:  # warm-ups can be cut short only by errors
                print(f"  note: {stored} messages stored, {posted} expected", file=sys.stderr)
            return {
                "levels": {
                    c: {name: asdict(sample) for name, sample in level.items()}
                    for c, level in levels.items()
                },
                "messages_stored": stored,
            }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else float("nan")


def table(results: dict[str, Any]) -> str:
    """The summary table: message ingest against both baselines."""
    head = (
        f"{'backend':<9}{'conc':>5}{'msg/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'healthz/s':>11}{'p50 ms':>8}{'raw ins/s':>11}{'p50 ms':>8}"
        f"{'msg/healthz':>13}{'msg/raw':>9}{'p50 vs raw':>12}"
    )
    lines = [head, "-" * len(head)]
    for backend, data in results.items():
        for c, level in data["levels"].items():
            m, h, r = level["messages"], level["healthz"], level["raw_insert"]
            lines.append(
                f"{backend:<9}{c:>5}{m['per_second']:>9.0f}{m['p50_ms']:>9.2f}{m['p99_ms']:>9.2f}"
                f"{h['per_second']:>11.0f}{h['p50_ms']:>8.2f}{r['per_second']:>11.0f}"
                f"{r['p50_ms']:>8.2f}{level['ratios']['throughput_vs_healthz']:>13.3f}"
                f"{level['ratios']['throughput_vs_raw_insert']:>9.3f}"
                f"{level['ratios']['p50_vs_raw_insert']:>11.1f}x"
            )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument(
        "--backend",
        nargs="+",
        choices=["sqlite", "postgres"],
        default=["sqlite", "postgres"],
        help="backends to run (default: both)",
    )
    p.add_argument(
        "--concurrency",
        nargs="+",
        type=int,
        default=[1, 10, 50],
        help="client concurrency levels (default: 1 10 50)",
    )
    p.add_argument(
        "--requests", type=int, default=1500, help="operations per measured case (default 1500)"
    )
    p.add_argument(
        "--max-seconds",
        type=float,
        default=8.0,
        help="time cap per measured case, whichever of this and --requests ends first (8)",
    )
    p.add_argument("--warmup", type=int, default=100, help="warm-up operations per case (100)")
    p.add_argument(
        "--conversations",
        type=int,
        default=100,
        help="conversations the messages are spread over, round robin (100)",
    )
    p.add_argument("--postgres-url", default=DEFAULT_PG, help="base URL of the PostgreSQL server")
    p.add_argument("--output", type=Path, default=RESULTS, help="JSON results file")
    args = p.parse_args(argv)
    if min(args.concurrency) < 1 or args.requests < 1 or args.warmup < 0:
        p.error("concurrency and requests must be positive")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    started_m = time.monotonic()
    load_before = os.getloadavg()
    results: dict[str, Any] = {}
    for backend in args.backend:
        data = run_backend(backend, args)
        for level in data["levels"].values():
            m, h, r = level["messages"], level["healthz"], level["raw_insert"]
            level["ratios"] = {
                "throughput_vs_healthz": ratio(m["per_second"], h["per_second"]),
                "throughput_vs_raw_insert": ratio(m["per_second"], r["per_second"]),
                "p50_vs_healthz": ratio(m["p50_ms"], h["p50_ms"]),
                "p50_vs_raw_insert": ratio(m["p50_ms"], r["p50_ms"]),
            }
        results[backend] = data
    print(table(results))
    report = {
        "benchmark": "ingest",
        "unit": {"per_second": "operations per second", "latency": "milliseconds"},
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "commit": git_commit(),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "loadavg_1m": {"before": load_before[0], "after": os.getloadavg()[0]},
        "settings": {
            "concurrency": args.concurrency,
            "requests": args.requests,
            "max_seconds": args.max_seconds,
            "warmup": args.warmup,
            "conversations": args.conversations,
        },
        "results": results,
        "run": run_info(started_m, load_before[0]),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.output} ({report['wall_seconds']} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
