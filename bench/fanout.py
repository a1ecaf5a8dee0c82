"""Real-time fan-out: message posted -> ``message.created`` on a WebSocket, 1 and 2 processes.

Run from the repository root: ``.venv/bin/python -m bench.fanout`` (``--help`` for flags).
Prints a table and writes ``bench/results/fanout.json``.

Set-up: real ``relaydesk serve`` subprocesses (``tests.support.Server``) on one fresh
database (a SQLite file by default; ``--backend postgres`` for PostgreSQL) and one Redis
(``RELAYDESK_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/0``), loopback only.

- ``latency``: for each rate (messages/s), messages are POSTed at that rate (open loop)
  for ``--seconds``; one API-key socket receives them. ``1 proc``: POST and socket on the
  same process; ``2 procs``: POST on A, socket on B (the event crosses Redis). Latency =
  POST sent -> frame received. ``redis rtt``: PUBLISH -> message on a SUBSCRIBE
  connection, at the same rates, measured in the same run as the baseline.
- ``idle sockets``: ``--sockets`` idle API-key sockets are opened on a fresh process; its
  RSS (``/proc/<pid>/status``) before and after gives the memory per socket.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as ``python bench/fanout.py``
    sys.path.insert(0, str(ROOT))

from tests.support import (  # noqa: E402
    Server,
    create_postgres_database,
    drop_postgres_database,
    new_app,
)

from bench.common import DEFAULT_PG, PRODUCTION_WORKERS, percentile, run_info  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "fanout.json"
DEFAULT_REDIS = os.environ.get("RELAYDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def summary(latencies: list[float], sent: int) -> dict[str, Any]:
    return {
        "sent": sent,
        "received": len(latencies),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round(max(latencies) * 1000, 2) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else None,
    }


def ws_url(base: str, token: str) -> str:
    return base.replace("http://", "ws://", 1) + f"/api/v1/ws?token={token}"


async def fanout_latency(
    post_url: str, socket_url: str, token: str, rate: float, seconds: float
) -> dict[str, Any]:
    """Open-loop POSTs at ``rate``/s for ``seconds``; latency until each frame arrives."""
    from websockets.asyncio.client import connect

    headers = {"authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=100)
    timeout = httpx.Timeout(60, pool=None)  # open loop: requests wait for a connection
    async with httpx.AsyncClient(
        base_url=post_url, headers=headers, timeout=timeout, limits=limits
    ) as http:
        r = await http.post("/api/v1/conversations", json={"contact": {"external_id": "bench"}})
        conv_id = r.json()["id"]
        sent_at: dict[str, float] = {}
        latencies: list[float] = []
        post_latencies: list[float] = []
        errors: list[str] = []
        total = max(1, int(rate * seconds))
        socket = connect(ws_url(socket_url, token), max_queue=None, ping_interval=None)
        async with socket as ws:
            assert json.loads(await ws.recv())["type"] == "ready"

            async def receive() -> None:
                while len(latencies) < total - len(errors):
                    frame = json.loads(await ws.recv())
                    if frame["type"] != "message.created":
                        continue
                    key = frame["data"].get("client_message_id")
                    if key in sent_at:
                        latencies.append(time.perf_counter() - sent_at[key])

            async def post_one(key: str) -> None:
                sent_at[key] = time.perf_counter()
                body = {"sender": {"type": "contact"}, "text": "bench", "client_message_id": key}
                try:
                    r = await http.post(f"/api/v1/conversations/{conv_id}/messages", json=body)
                    r.raise_for_status()
                except httpx.HTTPError:
                    errors.append(key)
                    return
                post_latencies.append(time.perf_counter() - sent_at[key])

            receiver = asyncio.create_task(receive())
            posts = []
            start = time.perf_counter()
            for i in range(total):  # bounded: rate * seconds messages
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                posts.append(asyncio.create_task(post_one(uuid.uuid4().hex)))
            await asyncio.gather(*posts)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(receiver, 15)
            receiver.cancel()
    return {
        **summary(latencies, total),
        "post_p50_ms": round(percentile(post_latencies, 0.5) * 1000, 2),
        "post_errors": len(errors),
    }


async def redis_rtt(redis_url: str, rate: float, seconds: float) -> dict[str, Any]:
    """PUBLISH -> message on a subscribed connection, at ``rate``/s."""
    import redis.asyncio as aioredis

    channel = f"relaydesk:bench:{uuid.uuid4().hex}"
    pub = aioredis.from_url(redis_url)
    sub = aioredis.from_url(redis_url)
    pubsub = sub.pubsub()
    await pubsub.subscribe(channel)
    total = max(1, int(rate * seconds))
    latencies: list[float] = []

    async def receive() -> None:
        async for msg in pubsub.listen():
            if msg.get("type") == "message":
                latencies.append(time.perf_counter() - float(msg["data"]))
                if len(latencies) >= total:
                    return

    receiver = asyncio.create_task(receive())
    start = time.perf_counter()
    for i in range(total):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await pub.publish(channel, repr(time.perf_counter()))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(receiver, 10)
    receiver.cancel()
    await pubsub.aclose()
    await sub.aclose()
    await pub.aclose()
    return summary(latencies, total)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def idle_sockets(server: Server, token: str, counts: list[int]) -> list[dict[str, Any]]:
    """Open idle sockets in steps; the server's RSS per socket at each step."""
    from websockets.asyncio.client import connect

    assert server.proc is not None
    pid = server.proc.pid
    stack = contextlib.AsyncExitStack()
    rows: list[dict[str, Any]] = []
    gate = asyncio.Semaphore(64)

    async def open_one() -> None:
        async with gate:
            ws = await stack.enter_async_context(
                connect(ws_url(server.url, token), open_timeout=60, ping_interval=None)
            )
            assert json.loads(await ws.recv())["type"] == "ready"

    async with stack:
        await asyncio.sleep(1)
        base = rss_kib(pid)
        opened = 0
        for count in counts:
            started = time.perf_counter()
            await asyncio.gather(*(open_one() for _ in range(count - opened)))
            took = time.perf_counter() - started
            opened = count
            await asyncio.sleep(1)
            now = rss_kib(pid)
            rows.append(
                {
                    "sockets": count,
                    "rss_base_mib": round(base / 1024, 1),
                    "rss_mib": round(now / 1024, 1),
                    "kib_per_socket": round((now - base) / count, 1),
                    "connect_rate_per_s": round(
                        (count - (rows[-1]["sockets"] if rows else 0)) / took, 1
                    ),
                }
            )
            print(
                f"  {count} idle sockets: RSS {now / 1024:.1f} MiB "
                f"({(now - base) / count:.1f} KiB/socket)",
                flush=True,
            )
    return rows


def database(backend: str, tmp: Path) -> str:
    if backend == "postgres":
        return create_postgres_database(DEFAULT_PG)
    return f"sqlite+aiosqlite:///{tmp / 'fanout.db'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="5,10,25,50,100", help="messages per second")
    parser.add_argument("--seconds", type=float, default=3.0, help="per rate and topology")
    parser.add_argument("--sockets", default="1000,2000,3000", help="idle socket steps")
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="sqlite")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    args = parser.parse_args()
    started, load_before = time.monotonic(), os.getloadavg()[0]
    rates = [float(r) for r in args.rates.split(",")]
    counts = [int(c) for c in args.sockets.split(",")]

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 2 * max(counts) + 1000))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))  # inherited by the servers

    tmp = Path(tempfile.mkdtemp(prefix="rd-bench-fanout-"))
    backend = args.backend
    try:
        db_url = database(backend, tmp)
    except Exception as exc:  # no PostgreSQL here: fall back to SQLite
        print(f"PostgreSQL unavailable ({exc}); using SQLite", flush=True)
        backend, db_url = "sqlite", database("sqlite", tmp)
    env = {
        **PRODUCTION_WORKERS,
        "RELAYDESK_REDIS_URL": args.redis_url,
        "RELAYDESK_WS_MAX_PER_PRINCIPAL": "0",  # thousands of idle sockets on one API key
    }
    results: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "loadavg_at_start": os.getloadavg(),
        },
        "backend": backend,
        "seconds_per_case": args.seconds,
        "latency": [],
        "idle_sockets": [],
    }
    a = Server(database_url=db_url, env=env, workdir=tmp / "a").start()
    b = Server(database_url=db_url, env=env, workdir=tmp / "b").start()
    try:
        api = new_app(a.url, "fanout bench")
        token = api.token or ""
        for rate in rates:
            for topology, socket_server in (("1 proc", a), ("2 procs", b)):
                row = asyncio.run(
                    fanout_latency(a.url, socket_server.url, token, rate, args.seconds)
                )
                results["latency"].append({"case": topology, "rate": rate, **row})
                print(
                    f"  {topology:8} {rate:6.0f}/s  p50 {row['p50_ms']:7.2f} ms  "
                    f"p99 {row['p99_ms']:7.2f} ms  POST p50 {row['post_p50_ms']:7.2f} ms  "
                    f"({row['received']}/{row['sent']}, {row['post_errors']} errors)",
                    flush=True,
                )
            row = asyncio.run(redis_rtt(args.redis_url, rate, args.seconds))
            results["latency"].append({"case": "redis rtt", "rate": rate, **row})
            print(
                f"  {'redis':8} {rate:6.0f}/s  p50 {row['p50_ms']:7.2f} ms  "
                f"p99 {row['p99_ms']:7.2f} ms",
                flush=True,
            )
    finally:
        a.stop()
        b.stop()
    idle = Server(database_url=db_url, env=env, workdir=tmp / "idle").start()
    try:
        token = new_app(idle.url, "idle bench").token or ""
        results["idle_sockets"] = asyncio.run(idle_sockets(idle, token, counts))
    finally:
        idle.stop()
        if backend == "postgres":
            drop_postgres_database(db_url)

    print()
    print(
        f"fan-out latency (POST sent -> frame received), backend {backend}, "
        f"{args.seconds:.0f} s per case"
    )
    print(
        f"{'case':10} {'rate/s':>7} {'recv/sent':>10} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'POST p50':>9} {'errors':>6}"
    )
    for row in results["latency"]:
        post = row.get("post_p50_ms")
        print(
            f"{row['case']:10} {row['rate']:7.0f} {row['received']:>5}/{row['sent']:<4} "
            f"{row['p50_ms']:8.2f} {row['p99_ms']:8.2f} {row['max_ms'] or 0:8.2f} "
            + (f"{post:9.2f} {row['post_errors']:6}" if post is not None else "")
        )
    print()
    print(
        f"{'idle sockets':>12} {'RSS base MiB':>13} {'RSS MiB':>8} {'KiB/socket':>11} {'conn/s':>7}"
    )
    for row in results["idle_sockets"]:
        print(
            f"{row['sockets']:12} {row['rss_base_mib']:13.1f} {row['rss_mib']:8.1f} "
            f"{row['kib_per_socket']:11.1f} {row['connect_rate_per_s']:7.1f}"
        )
    results["run"] = run_info(started, load_before)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
