"""Conversations created and routed per second through the HTTP API on PostgreSQL.

Run from the repository root: ``.venv/bin/python -m bench.routing_http`` (``--help`` for
flags). Prints a table and writes ``bench/results/routing_http.json``. Loopback only; the
whole run is bounded (about two minutes with the defaults, never more than three).

A fresh PostgreSQL database is created next to ``--postgres-url`` (dropped afterwards), two
real ``relaydesk serve`` processes are started on it (``tests.support.Server``), one app with
``--agents`` online agents (automatic round robin, no limits) is created, and for each
concurrency level these cases run:

- ``healthz``: ``GET /healthz`` on one server, same client and concurrency: the bare HTTP
  floor (HTTP + ASGI + the client, no database);
- ``create 1 proc``: ``POST /api/v1/conversations`` with a new contact and a first message,
  all on the first server. Routing runs inside the request: the app's routing row is locked
  ``FOR UPDATE``, the snapshot (agents with their open load, teams, AI agents, pointers) is
  read, the decision applied with its audit row, events published after commit;
- ``create 2 procs``: the same, alternating between the two servers (one database, so the
  routing lock is shared: this is the multi-process deployment);
- ``raw SQL``: the rows the same request writes, without routing and without HTTP: one
  transaction inserting a contact, a conversation and a message through SQLAlchemy core,
  from this process, ``concurrency`` connections;
- ``raw SQL + lock``: the same transaction plus ``SELECT … FROM routing_settings … FOR
  UPDATE`` on the app's row first: the cost of serializing per app, without the rest of
  routing.

Each case gets a short warm-up, then at most ``--requests`` operations or ``--max-seconds``
seconds. At the end every conversation is checked to have been routed exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as ``python bench/routing_http.py``
    sys.path.insert(0, str(ROOT))

from tests.support import (  # noqa: E402
    Server,
    create_postgres_database,
    drop_postgres_database,
    new_app,
)

from bench.common import DEFAULT_PG, PRODUCTION_WORKERS, git_commit, run_info  # noqa: E402
from bench.ingest import Sample, drive  # noqa: E402
from relaydesk.contacts.models import Contact  # noqa: E402
from relaydesk.conversations.models import Assignment, Conversation  # noqa: E402
from relaydesk.db import new_id, utcnow  # noqa: E402
from relaydesk.messages.models import Message  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "routing_http.json"
HARD_LIMIT_S = 180.0


def create_body() -> dict[str, Any]:
    return {"contact": {"external_id": uuid.uuid4().hex}, "message": {"text": "hello"}}


async def http_case(
    clients: list[httpx.AsyncClient],
    method: str,
    path: str,
    *,
    concurrency: int,
    total: int,
    max_seconds: float,
    body: Callable[[], Any] | None = None,
    expect: int = 200,
) -> Sample:
    """``concurrency`` tasks calling ``path``, round robin over ``clients`` (servers)."""

    async def op(i: int) -> None:
        client = clients[i % len(clients)]
        r = await client.request(method, path, json=body() if body else None)
        if r.status_code != expect:
            raise RuntimeError(f"{method} {path} → {r.status_code}: {r.text[:200]}")

    warm = min(concurrency * 2, 64)
    await drive(op, total=warm, concurrency=concurrency, max_seconds=5)
    return await drive(op, total=total, concurrency=concurrency, max_seconds=max_seconds)


def raw_transaction(
    engine: AsyncEngine, app_id: str, *, lock: bool
) -> Callable[[int], Awaitable[None]]:
    """The create request's rows (contact, conversation, message) in one transaction."""

    async def op(_: int) -> None:
        now = utcnow()
        contact_id, conv_id = new_id("ct"), new_id("conv")
        async with engine.begin() as conn:
            if lock:
                await conn.execute(
                    text("SELECT app_id FROM routing_settings WHERE app_id = :a FOR UPDATE"),
                    {"a": app_id},
                )
            await conn.execute(
                insert(Contact.__table__).values(
                    id=contact_id,
                    app_id=app_id,
                    external_id=uuid.uuid4().hex,
                    metadata={},
                    created_at=now,
                    updated_at=now,
                )
            )
            await conn.execute(
                insert(Conversation.__table__).values(
                    id=conv_id,
                    app_id=app_id,
                    contact_id=contact_id,
                    channel="raw",
                    status="open",
                    metadata={},
                    created_at=now,
                    updated_at=now,
                    last_message_at=now,
                )
            )
            await conn.execute(
                insert(Message.__table__).values(
                    id=new_id("msg"),
                    app_id=app_id,
                    conversation_id=conv_id,
                    sender_type="contact",
                    sender_id=contact_id,
                    text="hello",
                    attachments=[],
                    metadata={},
                    created_at=now,
                )
            )

    return op


async def check_routed_once(engine: AsyncEngine, app_id: str) -> dict[str, int]:
    """Every HTTP-created conversation has exactly one audit row and an assignee."""
    async with engine.connect() as conn:
        convs = await conn.scalar(
            select(func.count())
            .select_from(Conversation.__table__)
            .where(Conversation.app_id == app_id, Conversation.channel == "web")
        )
        unassigned = await conn.scalar(
            select(func.count())
            .select_from(Conversation.__table__)
            .where(
                Conversation.app_id == app_id,
                Conversation.channel == "web",
                Conversation.assignee_id.is_(None),
            )
        )
        rows = await conn.scalar(
            select(func.count())
            .select_from(Assignment.__table__)
            .where(Assignment.app_id == app_id)
        )
        per_agent = (
            await conn.execute(
                select(Conversation.assignee_id, func.count())
                .where(Conversation.app_id == app_id, Conversation.channel == "web")
                .group_by(Conversation.assignee_id)
            )
        ).all()
    counts = sorted(int(n) for _, n in per_agent)
    return {
        "conversations": int(convs or 0),
        "audit_rows": int(rows or 0),
        "unassigned": int(unassigned or 0),
        "min_per_agent": counts[0] if counts else 0,
        "max_per_agent": counts[-1] if counts else 0,
    }


def level_cases(
    clients: list[httpx.AsyncClient],
    engine: AsyncEngine,
    app_id: str,
    concurrency: int,
    args: argparse.Namespace,
) -> list[tuple[str, Callable[[], Awaitable[Sample]]]]:
    """The cases of one concurrency level, in the order they run."""
    budget: dict[str, Any] = {"total": args.requests, "max_seconds": args.max_seconds}
    post = {"body": create_body, "expect": 201, "concurrency": concurrency, **budget}
    return [
        ("healthz", lambda: http_case(clients[:1], "GET", "/healthz", concurrency=concurrency,
                                      **budget)),
        ("create 1 proc", lambda: http_case(clients[:1], "POST", "/api/v1/conversations", **post)),
        ("create 2 procs", lambda: http_case(clients, "POST", "/api/v1/conversations", **post)),
        ("raw SQL", lambda: drive(raw_transaction(engine, app_id, lock=False),
                                  concurrency=concurrency, **budget)),
        ("raw SQL + lock", lambda: drive(raw_transaction(engine, app_id, lock=True),
                                         concurrency=concurrency, **budget)),
    ]  # fmt: skip


async def run(args: argparse.Namespace, database_url: str, workdir: Path) -> dict[str, Any]:
    started = time.monotonic()
    servers: list[Server] = []
    engine = create_async_engine(database_url, pool_size=max(args.concurrency), max_overflow=0)
    try:
        for i in range(2):
            servers.append(
                Server(database_url=database_url, env=PRODUCTION_WORKERS, workdir=workdir / f"s{i}")
            )
            servers[-1].start(60)
        api = new_app(servers[0].url)
        for _ in range(args.agents):
            api.agent(status="online")
        api.http.close()
        headers = {"authorization": f"Bearer {api.token}"}
        cases: list[dict[str, Any]] = []
        for concurrency in args.concurrency:
            limits = httpx.Limits(
                max_connections=concurrency, max_keepalive_connections=concurrency
            )
            clients = [
                httpx.AsyncClient(base_url=s.url, headers=headers, limits=limits, timeout=60)
                for s in servers
            ]
            runs = level_cases(clients, engine, api.app_id, concurrency, args)
            try:
                for name, case in runs:
                    if time.monotonic() - started > HARD_LIMIT_S - 2 * args.max_seconds - 10:
                        print(f"  skipping {name} @ {concurrency}: time budget", file=sys.stderr)
                        continue
                    sample = await case()
                    cases.append({"case": name, "concurrency": concurrency, **asdict(sample)})
                    print(
                        f"  {name:<15} c={concurrency:<3} {sample.per_second:>8.1f}/s  "
                        f"p50 {sample.p50_ms:>7.2f} ms  p99 {sample.p99_ms:>8.2f} ms  "
                        f"errors {sample.errors}",
                        file=sys.stderr,
                    )
            finally:
                for c in clients:
                    await c.aclose()
        checked = await check_routed_once(engine, api.app_id)
        return {"cases": cases, "routed_once_check": checked, "seconds": time.monotonic() - started}
    finally:
        await engine.dispose()
        for s in servers:
            s.stop()


def table(cases: list[dict[str, Any]]) -> str:
    by = {(c["case"], c["concurrency"]): c for c in cases}
    levels = sorted({c["concurrency"] for c in cases})
    names = ["healthz", "create 1 proc", "create 2 procs", "raw SQL", "raw SQL + lock"]
    lines = [
        "case             " + "".join(f"| c={lvl:<3} /s   p50 ms  p99 ms " for lvl in levels),
        "-" * (17 + 29 * len(levels)),
    ]
    for name in names:
        cells = []
        for lvl in levels:
            c = by.get((name, lvl))
            cells.append(
                f"| {c['per_second']:>8.1f} {c['p50_ms']:>7.1f} {c['p99_ms']:>7.1f} "
                if c
                else "|" + " " * 28
            )
        lines.append(f"{name:<17}" + "".join(cells))
    for lvl in levels:
        raw = by.get(("raw SQL", lvl))
        for name in ("create 1 proc", "create 2 procs"):
            c = by.get((name, lvl))
            if raw and c and raw["per_second"]:
                lines.append(
                    f"{name} @ c={lvl}: {c['per_second'] / raw['per_second']:.2f}× raw SQL"
                )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--postgres-url", default=DEFAULT_PG)
    p.add_argument("--concurrency", type=int, nargs="+", default=[16, 32])
    p.add_argument("--agents", type=int, default=4)
    p.add_argument("--requests", type=int, default=3000, help="cap per case")
    p.add_argument("--max-seconds", type=float, default=8.0, help="cap per case")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started, load_before = time.monotonic(), os.getloadavg()[0]
    database_url = create_postgres_database(args.postgres_url)
    try:
        with tempfile.TemporaryDirectory(prefix="rd-bench-routing-") as tmp:
            print(f"PostgreSQL {database_url.rpartition('/')[0]}/…, 2 servers", file=sys.stderr)
            result = asyncio.run(run(args, database_url, Path(tmp)))
    finally:
        drop_postgres_database(database_url)
    out = {
        "benchmark": "routing_http",
        "backend": "postgresql",
        "commit": git_commit(),
        "python": platform.python_version(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "args": {k: v for k, v in vars(args).items() if k != "postgres_url"},
        **result,
        "run": run_info(started, load_before),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(table(result["cases"]))
    print(f"routed-once check: {result['routed_once_check']}")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
