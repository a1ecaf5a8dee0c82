"""AI-agent turns through relaydesk with the fake Lex behind it, against a direct boto3 baseline.

Run from the repository root: ``.venv/bin/python -m bench.ai_turns`` (``--help`` for flags).
Prints a table and writes ``bench/results/ai_turns.json``.

Set-up: the fake Lex runs as its own process (``python -m tests.fakes.lex_server``) so it
does not share this process's GIL; a real ``relaydesk serve`` subprocess runs on a fresh
database per backend (``tests.support.Server``, production worker settings); one app has a
``lex_v2`` AI agent (bot and alias by id) routing new conversations, and the utterance
``bench ping`` is scripted to answer one plain-text message.

For each bot delay (the fake answering at once, and after ``--delay-ms``) and each
concurrency ``c`` (1, 10, 100):

- ``relaydesk``: ``c`` conversations talk at once; each loops: ``POST`` a contact message,
  wait for the AI agent's reply (``message.created`` on the app's WebSocket, or polling
  ``GET messages?after=`` with ``--mode poll``). Latency = POST sent -> reply visible.
- ``boto3``: ``c`` threads call ``RecognizeText`` on the fake directly with one boto3
  client (the bot round trip relaydesk cannot avoid).

``overhead`` = latency minus the bot's own delay; ``added`` = relaydesk's overhead minus the
baseline's at the same delay and concurrency (medians). Every case gets a short warm-up,
then runs ``--seconds`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as ``python bench/ai_turns.py``
    sys.path.insert(0, str(ROOT))

from tests.support import (  # noqa: E402
    Server,
    create_postgres_database,
    drop_postgres_database,
    new_app,
)

from bench.common import DEFAULT_PG, PRODUCTION_WORKERS, percentile  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "ai_turns.json"
UTTERANCE = "bench ping"
ANSWER = "pong"
BOT_ID, ALIAS_ID = "SUPPORTBOT", "PRODALIAS1"


@dataclass
class Sample:
    """One measured case."""

    target: str  # relaydesk | boto3
    backend: str  # sqlite | postgres | - (baseline)
    delay_ms: int
    concurrency: int
    turns: int  # latency samples: turns started in the measured window
    seconds: float
    turns_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    overhead_p50_ms: float  # latency minus the bot's delay
    overhead_p95_ms: float
    errors: int


def sample(
    target: str,
    backend: str,
    delay: float,
    c: int,
    lat: list[float],
    completed: int,
    secs: float,
    errors: int,
) -> Sample:
    ms = [x * 1000 for x in lat]
    d = delay * 1000
    return Sample(
        target=target,
        backend=backend,
        delay_ms=round(d),
        concurrency=c,
        turns=len(ms),
        seconds=round(secs, 2),
        turns_per_s=round(completed / secs, 1) if secs else 0.0,
        p50_ms=round(percentile(ms, 0.5), 1),
        p95_ms=round(percentile(ms, 0.95), 1),
        p99_ms=round(percentile(ms, 0.99), 1),
        overhead_p50_ms=round(percentile(ms, 0.5) - d, 1),
        overhead_p95_ms=round(percentile(ms, 0.95) - d, 1),
        errors=errors,
    )


# --- the fake Lex as a process --------------------------------------------------------------


@contextmanager
def fake_lex_process() -> Iterator[dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.lex_server", "--port", "0", "--fallback-limit", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        control = httpx.Client(base_url=info["url"], timeout=10)
        control.post(
            "/_fake/script",
            json={"utterance": UTTERANCE, "v2": [{"contentType": "PlainText", "content": ANSWER}]},
        ).raise_for_status()
        info["control"] = control
        yield info
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def set_delay(fake: dict[str, Any], seconds: float) -> None:
    fake["control"].post("/_fake/delay", json={"seconds": seconds}).raise_for_status()
    fake["control"].delete("/_fake/requests").raise_for_status()  # keep its memory flat


# --- baseline: boto3 straight to the fake -----------------------------------------------------


def boto3_case(
    fake: dict[str, Any], c: int, seconds: float, warmup: float
) -> tuple[list[float], float, int]:
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "lexv2-runtime",
        region_name=fake["region"],
        aws_access_key_id=fake["access_key_id"],
        aws_secret_access_key=fake["secret_access_key"],
        endpoint_url=fake["url"],
        config=Config(max_pool_connections=c + 4, retries={"max_attempts": 0}),
    )
    latencies: list[float] = []
    errors = [0]
    completed = [0]
    lock = threading.Lock()
    start = time.monotonic()
    measure_from = start + warmup
    stop_at = measure_from + seconds

    def worker(i: int) -> None:
        session = f"bench-{uuid.uuid4().hex[:8]}-{i}"
        while time.monotonic() < stop_at:
            t0 = time.monotonic()
            try:
                client.recognize_text(
                    botId=BOT_ID,
                    botAliasId=ALIAS_ID,
                    localeId="en_US",
                    sessionId=session,
                    text=UTTERANCE,
                )
            except Exception:  # noqa: BLE001 - counted, not fatal
                with lock:
                    errors[0] += 1
                continue
            t1 = time.monotonic()
            with lock:
                if t0 >= measure_from:
                    latencies.append(t1 - t0)
                if measure_from <= t1 <= stop_at:
                    completed[0] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(c)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client.close()
    return latencies, completed[0], errors[0]


# --- relaydesk --------------------------------------------------------------------------------


class Replies:
    """AI-agent replies seen on the app's WebSocket, by conversation."""

    def __init__(self) -> None:
        self.waiters: dict[str, asyncio.Future[float]] = {}

    def expect(self, conversation_id: str) -> asyncio.Future[float]:
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiters[conversation_id] = fut
        return fut

    def seen(self, frame: dict[str, Any]) -> None:
        if frame.get("type") != "message.created":
            return
        data = frame.get("data") or {}
        if (data.get("sender") or {}).get("type") != "ai_agent":
            return
        fut = self.waiters.pop(data.get("conversation_id"), None)
        if fut is not None and not fut.done():
            fut.set_result(time.monotonic())


async def listen(url: str, token: str, replies: Replies, ready: asyncio.Event) -> None:
    import websockets

    ws_url = url.replace("http://", "ws://", 1) + f"/api/v1/ws?token={token}"
    async with websockets.connect(ws_url, max_queue=None, open_timeout=10) as ws:
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "ready":
                ready.set()
            replies.seen(frame)


async def relaydesk_case(
    url: str,
    token: str,
    conversations: list[str],
    seconds: float,
    warmup: float,
    mode: str,
    replies: Replies | None,
) -> tuple[list[float], int, int]:
    c = len(conversations)
    limits = httpx.Limits(max_connections=c + 4, max_keepalive_connections=c + 4)
    headers = {"authorization": f"Bearer {token}"}
    latencies: list[float] = []
    completed = [0]
    errors = 0
    start = time.monotonic()
    measure_from = start + warmup
    stop_at = measure_from + seconds
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30) as http:

        async def converse(cid: str) -> None:
            nonlocal errors
            while time.monotonic() < stop_at:
                t0 = time.monotonic()
                fut = replies.expect(cid) if replies is not None else None
                try:
                    r = await http.post(
                        f"/api/v1/conversations/{cid}/messages",
                        json={"sender": {"type": "contact"}, "text": UTTERANCE},
                    )
                except httpx.TransportError:  # an idle keep-alive closed by the server
                    errors += 1
                    if fut is not None and replies is not None:
                        replies.waiters.pop(cid, None)
                    continue
                if r.status_code != 201:
                    errors += 1
                    continue
                try:
                    if fut is not None:
                        t1 = await asyncio.wait_for(fut, 30)
                    else:
                        t1 = await poll(http, cid, r.json()["id"])
                except TimeoutError:
                    errors += 1
                    continue
                if t0 >= measure_from:
                    latencies.append(t1 - t0)
                if measure_from <= t1 <= stop_at:
                    completed[0] += 1

        await asyncio.gather(*(converse(cid) for cid in conversations))
    return latencies, completed[0], errors


async def poll(http: httpx.AsyncClient, cid: str, after: str) -> float:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r = await http.get(f"/api/v1/conversations/{cid}/messages", params={"after": after})
        if any(m["sender"]["type"] == "ai_agent" for m in r.json()["items"]):
            return time.monotonic()
        await asyncio.sleep(0.005)
    raise TimeoutError


def run_backend(
    backend: str, fake: dict[str, Any], args: argparse.Namespace, out: list[Sample]
) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="rd-bench-ai-"))
    url = (
        f"sqlite+aiosqlite:///{tmp / 'relaydesk.db'}"
        if backend == "sqlite"
        else create_postgres_database(args.postgres_url)
    )
    try:
        asyncio.run(relaydesk_backend(backend, url, tmp, fake, args, out))
    finally:
        if backend == "postgres":
            drop_postgres_database(url)


async def relaydesk_backend(
    backend: str,
    url: str,
    tmp: Path,
    fake: dict[str, Any],
    args: argparse.Namespace,
    out: list[Sample],
) -> None:
    env = dict(PRODUCTION_WORKERS)
    if args.worker_concurrency:
        env["RELAYDESK_WORKER_CONCURRENCY"] = str(args.worker_concurrency)
    server = Server(database_url=url, env=env, workdir=tmp).start()
    listener: asyncio.Task[None] | None = None
    try:
        api = new_app(server.url, "bench")
        assert api.token
        bot = api.ok(
            api.post(
                "/api/v1/ai-agents",
                {
                    "name": "bench lex",
                    "kind": "lex_v2",
                    "config": {
                        "access_key_id": fake["access_key_id"],
                        "secret_access_key": fake["secret_access_key"],
                        "region": fake["region"],
                        "bot_id": BOT_ID,
                        "bot_alias_id": ALIAS_ID,
                        "endpoint_url": fake["url"],
                    },
                },
            ),
            201,
        )
        api.routing(ai_routing={"enabled": True, "ai_agent_ids": [bot["id"]]})
        conversations = [api.conversation()["id"] for _ in range(max(args.concurrency))]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # every welcome answered before measuring
            waiting = [
                cid
                for cid in conversations[-3:]
                if not any(m["sender"]["type"] == "ai_agent" for m in api.messages(cid))
            ]
            if not waiting:
                break
            await asyncio.sleep(0.1)
        replies: Replies | None = None
        if args.mode == "ws":
            replies = Replies()
            ready = asyncio.Event()
            listener = asyncio.create_task(listen(server.url, api.token, replies, ready))
            await asyncio.wait_for(ready.wait(), 10)
        for delay in args.delays:
            set_delay(fake, delay)
            for c in args.concurrency:
                lat, done, errors = await relaydesk_case(
                    server.url,
                    api.token,
                    conversations[:c],
                    args.seconds,
                    args.warmup,
                    args.mode,
                    replies,
                )
                s = sample("relaydesk", backend, delay, c, lat, done, args.seconds, errors)
                out.append(s)
                print_row(s)
    finally:
        if listener is not None:
            listener.cancel()
        server.stop()


# --- output -----------------------------------------------------------------------------------

HEADER = (
    f"{'target':<10} {'backend':<8} {'delay':>6} {'conc':>5} {'turns':>6} {'turns/s':>8} "
    f"{'p50':>7} {'p95':>7} {'p99':>7} {'ovh p50':>8} {'ovh p95':>8} {'err':>4}"
)


def print_row(s: Sample) -> None:
    print(
        f"{s.target:<10} {s.backend:<8} {s.delay_ms:>4}ms {s.concurrency:>5} {s.turns:>6} "
        f"{s.turns_per_s:>8.1f} {s.p50_ms:>7.1f} {s.p95_ms:>7.1f} {s.p99_ms:>7.1f} "
        f"{s.overhead_p50_ms:>8.1f} {s.overhead_p95_ms:>8.1f} {s.errors:>4}",
        flush=True,
    )


def added(samples: list[Sample]) -> list[dict[str, Any]]:
    """relaydesk's median overhead minus the baseline's, per backend, delay and concurrency."""
    base = {(s.delay_ms, s.concurrency): s for s in samples if s.target == "boto3"}
    rows = []
    for s in samples:
        b = base.get((s.delay_ms, s.concurrency))
        if s.target != "relaydesk" or b is None:
            continue
        rows.append(
            {
                "backend": s.backend,
                "delay_ms": s.delay_ms,
                "concurrency": s.concurrency,
                "added_p50_ms": round(s.p50_ms - b.p50_ms, 1),
                "added_p95_ms": round(s.p95_ms - b.p95_ms, 1),
                "turns_per_s": s.turns_per_s,
                "baseline_turns_per_s": b.turns_per_s,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--concurrency", default="1,10,100")
    parser.add_argument("--delay-ms", type=int, default=100, help="the slow bot's delay")
    parser.add_argument("--seconds", type=float, default=4.0, help="measured time per case")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--mode", choices=["ws", "poll"], default="ws")
    parser.add_argument("--worker-concurrency", type=int, default=0, help="0: server default")
    args = parser.parse_args(argv)
    args.concurrency = [int(x) for x in args.concurrency.split(",")]
    args.delays = [0.0, args.delay_ms / 1000]
    backends = [b for b in args.backends.split(",") if b]

    samples: list[Sample] = []
    started = time.monotonic()
    print(HEADER)
    with fake_lex_process() as fake:
        for delay in args.delays:
            set_delay(fake, delay)
            for c in args.concurrency:
                lat, done, errors = boto3_case(fake, c, args.seconds, args.warmup)
                s = sample("boto3", "-", delay, c, lat, done, args.seconds, errors)
                samples.append(s)
                print_row(s)
        for backend in backends:
            run_backend(backend, fake, args, samples)
    diff = added(samples)
    print("\nlatency relaydesk adds over a direct boto3 call (medians / p95, ms):")
    for row in diff:
        print(
            f"  {row['backend']:<8} delay {row['delay_ms']:>3}ms conc {row['concurrency']:>3}: "
            f"+{row['added_p50_ms']:.1f} / +{row['added_p95_ms']:.1f}   "
            f"{row['turns_per_s']:.1f} turns/s (boto3 alone {row['baseline_turns_per_s']:.1f})"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "ai_turns",
                "settings": {
                    "backends": backends,
                    "concurrency": args.concurrency,
                    "delays_ms": [round(d * 1000) for d in args.delays],
                    "seconds": args.seconds,
                    "warmup": args.warmup,
                    "mode": args.mode,
                    "worker_concurrency": args.worker_concurrency or "server default",
                    "server_env": PRODUCTION_WORKERS,
                },
                "machine": {
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "cpus": os.cpu_count(),
                },
                "samples": [asdict(s) for s in samples],
                "added_over_boto3": diff,
                "total_seconds": round(time.monotonic() - started, 1),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwrote {RESULTS.relative_to(ROOT)} in {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
