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

Head of line (``--hol``, on by default; ``--no-hol`` skips it), per backend, after the cases
above: a second fake Lex process answers every call after ``--hol-delay-ms`` (1000), and a
second AI agent points at it. ``--hol-conversations`` (100) fresh conversations talk at
once, in runs measured back to back on the same server (``--hol-rounds`` (2) pairs in ABBA
order, all-fast, mixed, mixed, all-fast, so a drift in the machine's load evens out):

- ``hol all-fast``: all of them talk to the fast bot (the first fake, answering at once);
- ``hol mixed``: ``--hol-slow-share`` (10%) of them talk to the slow bot instead, the rest
  to the fast one. ``hol mix-fast`` is the fast conversations of this run, ``hol
  mix-slow`` the slow ones (their overhead is over the bot's delay).

Each conversation waits ``--hol-think-ms`` (3000, jittered 0.5-1.5x) between getting its
reply and sending the next message, so the offered load (about 100 / 3 s = 33 turns/s)
stays below what one process serves and the fast conversations' latency shows what the
slow ones cost them rather than queueing at saturation (``--hol-think-ms 0`` makes it a
closed loop like the cases above). Every run gets ``--warmup`` + one think time of warm-up
(the first turns are spread over one think time), then ``--hol-seconds`` (8).
``p99 rise`` = the fast conversations' p99 in the mixed run minus the all-fast run's (goal
of issue #12: under 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
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

from bench.common import DEFAULT_PG, PRODUCTION_WORKERS, percentile, run_info  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "ai_turns.json"
HOL_GOAL_P99_RISE_MS = 50.0  # issue #12
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
def fake_lex_process(delay: float = 0.0) -> Iterator[dict[str, Any]]:
    """The fake Lex in its own process, ``bench ping`` scripted, answering after ``delay``."""
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
        set_delay(info, delay)
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


@dataclass
class Run:
    """What one relaydesk case measured, per conversation."""

    latencies: dict[str, list[float]]  # turns started in the measured window
    completed: dict[str, int]  # replies seen in the measured window
    errors: int

    def lat(self, cids: list[str]) -> list[float]:
        return [x for cid in cids for x in self.latencies[cid]]

    def done(self, cids: list[str]) -> int:
        return sum(self.completed[cid] for cid in cids)

    def merge(self, other: Run) -> Run:
        """Both runs' turns together (of the same conversations or not)."""
        lat = {
            cid: [*self.latencies.get(cid, []), *other.latencies.get(cid, [])]
            for cid in {*self.latencies, *other.latencies}
        }
        done = {cid: self.completed.get(cid, 0) + other.completed.get(cid, 0) for cid in lat}
        return Run(lat, done, self.errors + other.errors)


async def relaydesk_case(
    url: str,
    token: str,
    conversations: list[str],
    seconds: float,
    warmup: float,
    mode: str,
    replies: Replies | None,
    think: float = 0.0,
) -> Run:
    """``conversations`` talk at once; each waits ``think`` (jittered) between turns."""
    c = len(conversations)
    limits = httpx.Limits(max_connections=c + 4, max_keepalive_connections=c + 4)
    headers = {"authorization": f"Bearer {token}"}
    run = Run({cid: [] for cid in conversations}, dict.fromkeys(conversations, 0), 0)
    start = time.monotonic()
    measure_from = start + warmup
    stop_at = measure_from + seconds
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30) as http:

        async def converse(cid: str) -> None:
            rng = random.Random(cid)
            if think:  # spread the first turns over one think time
                await asyncio.sleep(rng.uniform(0, think))
            first = True
            while time.monotonic() < stop_at:
                if think and not first:
                    await asyncio.sleep(think * rng.uniform(0.5, 1.5))
                    if time.monotonic() >= stop_at:
                        break
                first = False
                t0 = time.monotonic()
                fut = replies.expect(cid) if replies is not None else None
                try:
                    r = await http.post(
                        f"/api/v1/conversations/{cid}/messages",
                        json={"sender": {"type": "contact"}, "text": UTTERANCE},
                    )
                except httpx.TransportError:  # an idle keep-alive closed by the server
                    run.errors += 1
                    if fut is not None and replies is not None:
                        replies.waiters.pop(cid, None)
                    continue
                if r.status_code != 201:
                    run.errors += 1
                    continue
                try:
                    if fut is not None:
                        t1 = await asyncio.wait_for(fut, 30)
                    else:
                        t1 = await poll(http, cid, r.json()["id"])
                except TimeoutError:
                    run.errors += 1
                    continue
                if t0 >= measure_from:
                    run.latencies[cid].append(t1 - t0)
                if measure_from <= t1 <= stop_at:
                    run.completed[cid] += 1

        await asyncio.gather(*(converse(cid) for cid in conversations))
    return run


async def poll(http: httpx.AsyncClient, cid: str, after: str) -> float:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r = await http.get(f"/api/v1/conversations/{cid}/messages", params={"after": after})
        if any(m["sender"]["type"] == "ai_agent" for m in r.json()["items"]):
            return time.monotonic()
        await asyncio.sleep(0.005)
    raise TimeoutError


def run_backend(
    backend: str,
    fake: dict[str, Any],
    slow_fake: dict[str, Any] | None,
    args: argparse.Namespace,
    out: list[Sample],
    hol: list[dict[str, Any]],
) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="rd-bench-ai-"))
    url = (
        f"sqlite+aiosqlite:///{tmp / 'relaydesk.db'}"
        if backend == "sqlite"
        else create_postgres_database(args.postgres_url)
    )
    try:
        asyncio.run(relaydesk_backend(backend, url, tmp, fake, slow_fake, args, out, hol))
    finally:
        if backend == "postgres":
            drop_postgres_database(url)


async def relaydesk_backend(
    backend: str,
    url: str,
    tmp: Path,
    fake: dict[str, Any],
    slow_fake: dict[str, Any] | None,
    args: argparse.Namespace,
    out: list[Sample],
    hol: list[dict[str, Any]],
) -> None:
    env = dict(PRODUCTION_WORKERS)
    if args.worker_concurrency:
        env["RELAYDESK_WORKER_CONCURRENCY"] = str(args.worker_concurrency)
    server = Server(database_url=url, env=env, workdir=tmp).start()
    listener: asyncio.Task[None] | None = None
    try:
        api = new_app(server.url, "bench")
        assert api.token
        bot = lex_agent(api, fake, "bench lex")
        api.routing(ai_routing={"enabled": True, "ai_agent_ids": [bot["id"]]})
        conversations = [api.conversation()["id"] for _ in range(max(args.concurrency))]
        await welcomed(api, conversations[-3:])
        replies: Replies | None = None
        if args.mode == "ws":
            replies = Replies()
            ready = asyncio.Event()
            listener = asyncio.create_task(listen(server.url, api.token, replies, ready))
            await asyncio.wait_for(ready.wait(), 10)
        for delay in args.delays:
            set_delay(fake, delay)
            for c in args.concurrency:
                run = await relaydesk_case(
                    server.url,
                    api.token,
                    conversations[:c],
                    args.seconds,
                    args.warmup,
                    args.mode,
                    replies,
                )
                cids = conversations[:c]
                s = sample(
                    "relaydesk",
                    backend,
                    delay,
                    c,
                    run.lat(cids),
                    run.done(cids),
                    args.seconds,
                    run.errors,
                )
                out.append(s)
                print_row(s)
        if slow_fake is not None:
            set_delay(fake, 0.0)
            hol.append(
                await head_of_line(server.url, api, bot["id"], slow_fake, backend, args, replies)
            )
    finally:
        if listener is not None:
            listener.cancel()
        server.stop()


def lex_agent(api: Any, fake: dict[str, Any], name: str) -> dict[str, Any]:
    """A ``lex_v2`` AI agent on the app, talking to ``fake``."""
    return api.ok(  # type: ignore[no-any-return]
        api.post(
            "/api/v1/ai-agents",
            {
                "name": name,
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


async def welcomed(api: Any, conversations: list[str]) -> None:
    """Wait (60 s at most) until the AI agent's welcome is in each conversation: turns of a
    conversation run in order, so a measured turn must not queue behind its welcome."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        waiting = [
            cid
            for cid in conversations
            if not any(
                m["sender"]["type"] == "ai_agent"
                for m in await asyncio.to_thread(api.messages, cid)
            )
        ]
        if not waiting:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"no welcome after 60 s in {len(waiting)} conversations")


async def head_of_line(
    url: str,
    api: Any,
    fast_bot: str,
    slow_fake: dict[str, Any],
    backend: str,
    args: argparse.Namespace,
    replies: Replies | None,
) -> dict[str, Any]:
    """Fast conversations' latency with and without slow-bot conversations beside them."""
    n = args.hol_conversations
    n_slow = max(1, round(n * args.hol_slow_share))
    slow_delay = args.hol_delay_ms / 1000
    think = args.hol_think_ms / 1000
    warmup = args.warmup + think
    slow_bot = lex_agent(api, slow_fake, "bench lex slow")

    def create(bot_id: str, count: int) -> list[str]:
        api.routing(ai_routing={"enabled": True, "ai_agent_ids": [bot_id]})
        return [api.conversation()["id"] for _ in range(count)]

    slow = await asyncio.to_thread(create, slow_bot["id"], n_slow)
    fast = await asyncio.to_thread(create, fast_bot, n)
    await welcomed(api, fast[-3:] + slow)
    mixed = fast[: n - n_slow] + slow
    assert api.token

    async def measure(cids: list[str]) -> Run:
        return await relaydesk_case(
            url, api.token, cids, args.hol_seconds, warmup, args.mode, replies, think
        )

    # rounds in ABBA order (all-fast, mixed, mixed, all-fast, ...) so drift cancels out
    runs: dict[str, Run] = {}
    for i in range(args.hol_rounds):
        for kind in ("all", "mixed") if i % 2 == 0 else ("mixed", "all"):
            run = await measure(fast if kind == "all" else mixed)
            runs[kind] = runs[kind].merge(run) if kind in runs else run
    base_run, mixed_run = runs["all"], runs["mixed"]
    secs = args.hol_seconds * args.hol_rounds
    fast_mixed = fast[: n - n_slow]
    all_fast = sample(
        "hol all-fast",
        backend,
        0.0,
        n,
        base_run.lat(fast),
        base_run.done(fast),
        secs,
        base_run.errors,
    )
    mix_fast = sample(
        "hol mix-fast",
        backend,
        0.0,
        n,
        mixed_run.lat(fast_mixed),
        mixed_run.done(fast_mixed),
        secs,
        mixed_run.errors,
    )
    mix_slow = sample(
        "hol mix-slow", backend, slow_delay, n, mixed_run.lat(slow), mixed_run.done(slow), secs, 0
    )
    for s in (all_fast, mix_fast, mix_slow):
        print_row(s)
    rise_p99 = round(mix_fast.p99_ms - all_fast.p99_ms, 1)
    return {
        "backend": backend,
        "conversations": n,
        "slow_conversations": n_slow,
        "slow_delay_ms": args.hol_delay_ms,
        "think_ms": args.hol_think_ms,
        "rounds": args.hol_rounds,
        "seconds": secs,
        "warmup_per_run": round(warmup, 2),
        "all_fast": asdict(all_fast),
        "mixed_fast": asdict(mix_fast),
        "mixed_slow": asdict(mix_slow),
        "p50_rise_ms": round(mix_fast.p50_ms - all_fast.p50_ms, 1),
        "p99_rise_ms": rise_p99,
        "goal_p99_rise_ms": HOL_GOAL_P99_RISE_MS,
        "goal_met": rise_p99 < HOL_GOAL_P99_RISE_MS,
    }


# --- output -----------------------------------------------------------------------------------

HEADER = (
    f"{'target':<12} {'backend':<8} {'delay':>6} {'conc':>5} {'turns':>6} {'turns/s':>8} "
    f"{'p50':>7} {'p95':>7} {'p99':>7} {'ovh p50':>8} {'ovh p95':>8} {'err':>4}"
)


def print_row(s: Sample) -> None:
    print(
        f"{s.target:<12} {s.backend:<8} {s.delay_ms:>4}ms {s.concurrency:>5} {s.turns:>6} "
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
    parser.add_argument(
        "--hol",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the head-of-line case (fast conversations beside slow-bot ones)",
    )
    parser.add_argument("--hol-conversations", type=int, default=100)
    parser.add_argument("--hol-slow-share", type=float, default=0.1)
    parser.add_argument("--hol-delay-ms", type=int, default=1000, help="the slow bot's delay")
    parser.add_argument(
        "--hol-think-ms", type=int, default=3000, help="pause between a reply and the next turn"
    )
    parser.add_argument("--hol-seconds", type=float, default=8.0, help="measured time per run")
    parser.add_argument(
        "--hol-rounds", type=int, default=2, help="all-fast/mixed pairs, in ABBA order"
    )
    args = parser.parse_args(argv)
    args.concurrency = [int(x) for x in args.concurrency.split(",")]
    args.delays = [0.0, args.delay_ms / 1000]
    backends = [b for b in args.backends.split(",") if b]

    samples: list[Sample] = []
    hol: list[dict[str, Any]] = []
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    print(HEADER)
    with fake_lex_process() as fake, contextlib.ExitStack() as stack:
        slow_fake = (
            stack.enter_context(fake_lex_process(args.hol_delay_ms / 1000)) if args.hol else None
        )
        for delay in args.delays:
            set_delay(fake, delay)
            for c in args.concurrency:
                lat, done, errors = boto3_case(fake, c, args.seconds, args.warmup)
                s = sample("boto3", "-", delay, c, lat, done, args.seconds, errors)
                samples.append(s)
                print_row(s)
        for backend in backends:
            run_backend(backend, fake, slow_fake, args, samples, hol)
    diff = added(samples)
    print("\nlatency relaydesk adds over a direct boto3 call (medians / p95, ms):")
    for row in diff:
        print(
            f"  {row['backend']:<8} delay {row['delay_ms']:>3}ms conc {row['concurrency']:>3}: "
            f"+{row['added_p50_ms']:.1f} / +{row['added_p95_ms']:.1f}   "
            f"{row['turns_per_s']:.1f} turns/s (boto3 alone {row['baseline_turns_per_s']:.1f})"
        )
    if hol:
        print(
            "\nhead of line: fast conversations' latency, all fast vs "
            "with slow-bot conversations beside them (ms):"
        )
    for h in hol:
        a, m = h["all_fast"], h["mixed_fast"]
        print(
            f"  {h['backend']:<8} {h['conversations']} at once, {h['slow_conversations']} on a "
            f"{h['slow_delay_ms']} ms bot: p50 {a['p50_ms']:.1f} -> {m['p50_ms']:.1f}, "
            f"p99 {a['p99_ms']:.1f} -> {m['p99_ms']:.1f} (rise {h['p99_rise_ms']:+.1f}, "
            f"goal < {h['goal_p99_rise_ms']:.0f}: {'met' if h['goal_met'] else 'NOT met'})"
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
                    "hol": args.hol,
                },
                "machine": {
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "cpus": os.cpu_count(),
                },
                "samples": [asdict(s) for s in samples],
                "added_over_boto3": diff,
                "head_of_line": hol,
                "total_seconds": round(time.monotonic() - started, 1),
                "run": run_info(started, load_before),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwrote {RESULTS.relative_to(ROOT)} in {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
