"""The soak scenario: several processes on one database and Redis under steady traffic.

Contacts write at a steady rate (open loop) to conversations routed either to a webhook
bot (channel ``bot``) or to humans by round robin; new conversations keep arriving; one
agent keeps switching between online and away; an outbound webhook and one event socket
per process listen to everything. Requests go to the processes in turn.

Afterwards (:func:`check`) every acknowledged message is stored exactly once, every bot
turn is answered exactly once, every conversation was assigned exactly once with a spread
of at most one among the steady agents, every message reached every socket and the
webhook receiver exactly once, no queue is left, and each process's memory is reported.

Used by ``tests/faults/test_soak.py`` (60 s in CI) and ``bench/soak.py`` (``--minutes``).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.fakes.webhook_bot import FakeWebhookBot
from tests.realtime.wsclient import EventSocket
from tests.support import Api, Server, new_app, wait_until
from tests.webhooks.receiver import Receiver


@dataclass
class Load:
    seconds: float = 60.0
    messages_per_s: float = 15.0  # contact messages, half to bots, half to humans
    conversations_per_s: float = 1.0
    status_change_every_s: float = 2.0
    processes: int = 3
    steady_agents: int = 4


@dataclass
class Outcome:
    """What the run produced; :func:`check` turns it into findings."""

    load: Load
    acknowledged: list[dict[str, Any]] = field(default_factory=list)  # {conv, id, text, bot}
    refused: Counter[str] = field(default_factory=Counter)  # status or exception name
    conversations: dict[str, str] = field(default_factory=dict)  # id → "bot" | "human"
    status_changes: int = 0
    rss_kib: dict[int, tuple[int, int]] = field(default_factory=dict)  # port → (start, end)
    drain_s: float = 0.0
    frames: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # port → frames
    deliveries: list[dict[str, Any]] = field(default_factory=list)  # message.created bodies
    stored: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # conv → messages
    trails: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    steady_ids: list[str] = field(default_factory=list)
    queues: dict[int, dict[str, float]] = field(default_factory=dict)  # port → gauges
    alive: dict[int, bool] = field(default_factory=dict)


def rss_kib(server: Server) -> int:
    assert server.proc is not None
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


QUEUE_GAUGES = (
    "relaydesk_turn_queue_depth",
    "relaydesk_webhook_queue_depth",
    "relaydesk_waiting_conversations",
)


def queue_gauges(server: Server) -> dict[str, float]:
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    found = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in QUEUE_GAUGES:
            found[name] = float(value)
    return found


def queues_empty(gauges: dict[str, float]) -> bool:
    return (
        gauges.get("relaydesk_turn_queue_depth") == 0
        and gauges.get("relaydesk_webhook_queue_depth") == 0
    )


class Listener:
    """An event socket read on a thread of its own until stopped."""

    def __init__(self, server: Server, token: str) -> None:
        self.socket = EventSocket(server.url, token)
        self.frames: list[dict[str, Any]] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while not self.stopping.is_set():
            try:
                self.frames.append(self.socket.recv(0.5))
            except TimeoutError:
                continue

    def stop(self) -> list[dict[str, Any]]:
        self.stopping.set()
        self.thread.join(5)
        self.socket.close()
        return self.frames


class Traffic:
    """The open-loop load: every request is started on schedule, whatever came before."""

    def __init__(self, outcome: Outcome, urls: list[str], token: str, agent: str) -> None:
        self.outcome = outcome
        self.urls = itertools.cycle(urls)
        self.token = token
        self.toggler = agent
        self.open: dict[str, list[str]] = {"bot": [], "human": []}
        self.tasks: set[asyncio.Task[None]] = set()
        self.sent = itertools.count()

    async def request(self, http: httpx.AsyncClient, method: str, path: str, body: Any) -> Any:
        try:
            r = await http.request(method, next(self.urls) + path, json=body)
        except httpx.HTTPError as exc:
            self.outcome.refused[type(exc).__name__] += 1
            return None
        if r.status_code >= 300:
            self.outcome.refused[f"{r.status_code} {r.text[:80]}"] += 1
            return None
        return r.json()

    async def new_conversation(self, http: httpx.AsyncClient, kind: str) -> None:
        body = {
            "contact": {"external_id": uuid.uuid4().hex[:12]},
            "channel": "bot" if kind == "bot" else "web",
        }
        made = await self.request(http, "POST", "/api/v1/conversations", body)
        if made is not None:
            self.outcome.conversations[made["id"]] = kind
            self.open[kind].append(made["id"])

    async def message(self, http: httpx.AsyncClient, kind: str) -> None:
        if not self.open[kind]:
            return
        n = next(self.sent)
        conv = self.open[kind][n % len(self.open[kind])]
        text = f"soak {n} {uuid.uuid4().hex[:8]}"
        body = {"sender": {"type": "contact"}, "text": text}
        made = await self.request(http, "POST", f"/api/v1/conversations/{conv}/messages", body)
        if made is not None:
            self.outcome.acknowledged.append(
                {"conv": conv, "id": made["id"], "text": text, "bot": kind == "bot"}
            )

    async def toggle(self, http: httpx.AsyncClient, status: str) -> None:
        made = await self.request(
            http, "PATCH", f"/api/v1/agents/{self.toggler}", {"status": status}
        )
        if made is not None:
            self.outcome.status_changes += 1

    def start(self, job: Any) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def run(self) -> None:
        load = self.outcome.load
        headers = {"authorization": f"Bearer {self.token}"}
        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(headers=headers, timeout=30, limits=limits) as http:
            for kind in ("bot", "human"):  # one of each before the first message
                await self.new_conversation(http, kind)
            schedule = [
                (1 / load.messages_per_s, lambda i: self.message(http, ("bot", "human")[i % 2])),
                (
                    1 / load.conversations_per_s,
                    lambda i: self.new_conversation(http, ("bot", "human")[i % 2]),
                ),
                (
                    load.status_change_every_s,
                    lambda i: self.toggle(http, ("away", "online")[i % 2]),
                ),
            ]
            began = time.monotonic()
            due = [began + every for every, _ in schedule]
            counts = [0] * len(schedule)
            while (now := time.monotonic()) < began + load.seconds:
                for k, (every, job) in enumerate(schedule):
                    while due[k] <= now:
                        self.start(job(counts[k]))
                        counts[k] += 1
                        due[k] += every
                await asyncio.sleep(max(0.0, min(due) - time.monotonic()))
            if self.tasks:
                await asyncio.wait(list(self.tasks))


def set_up(api: Api, bot: FakeWebhookBot, receiver: Receiver, steady: int) -> tuple[list[str], str]:
    tag = uuid.uuid4().hex[:6]
    steady_ids = [
        api.agent(f"steady{i}-{tag}@example.com", name=f"Steady {i}", status="online")["id"]
        for i in range(steady)
    ]
    toggler = api.agent(f"toggler-{tag}@example.com", name="Toggler", status="online")["id"]
    hook = api.ok(
        api.post(
            "/api/v1/ai-agents",
            {"name": "Soak bot", "kind": "webhook", "config": {"url": bot.hook_url}},
        ),
        201,
    )
    rule = {"channel": "bot", "assign_to": {"type": "ai_agent", "id": hook["id"]}}
    api.routing(human_routing="automatic", channel_rules=[rule])
    webhook = {"url": receiver.url + "/hook", "events": ["message.created"], "secret": "s" * 24}
    api.ok(api.post("/api/v1/webhooks", webhook), 201)
    return steady_ids, toggler


def run(database_url: str, redis_url: str, workdir: Path, load: Load) -> Outcome:
    """Start the processes, drive the load, wait for the queues to drain, collect."""
    outcome = Outcome(load)
    env = {"RELAYDESK_REDIS_URL": redis_url}
    servers: list[Server] = []
    listeners: list[Listener] = []
    bot = FakeWebhookBot()
    receiver = Receiver()
    try:
        bot.__enter__()
        for i in range(load.processes):
            servers.append(Server(database_url, env=env, workdir=workdir / f"p{i}").start())
        api = new_app(servers[0].url, "soak")
        outcome.steady_ids, toggler = set_up(api, bot, receiver, load.steady_agents)
        listeners = [Listener(s, api.token or "") for s in servers]
        start_rss = {s.port: rss_kib(s) for s in servers}

        asyncio.run(Traffic(outcome, [s.url for s in servers], api.token or "", toggler).run())

        began = time.monotonic()
        wanted = sum(1 for a in outcome.acknowledged if a["bot"])
        wait_until(lambda: len(bot.bodies()) >= wanted, timeout=120, interval=0.5)
        wait_until(
            lambda: all(queues_empty(queue_gauges(s)) for s in servers),
            timeout=120,
            interval=0.5,
        )
        outcome.drain_s = time.monotonic() - began
        time.sleep(1.0)  # the last frames and deliveries in flight
        outcome.rss_kib = {s.port: (start_rss[s.port], rss_kib(s)) for s in servers}
        outcome.queues = {s.port: queue_gauges(s) for s in servers}
        outcome.alive = {s.port: s.proc is not None and s.proc.poll() is None for s in servers}
        for conv in outcome.conversations:
            outcome.stored[conv] = paged_messages(api, conv)
            outcome.trails[conv] = api.trail(conv)
        outcome.deliveries = [r.json() for r in receiver.of_type("message.created")]
    finally:
        for listener, server in zip(listeners, servers, strict=False):
            outcome.frames[server.port] = listener.stop()
        for server in servers:
            server.stop()
        receiver.close()
        bot.__exit__(None, None, None)
    return outcome


def paged_messages(api: Api, conv: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 500}
    while True:
        page = api.ok(api.get(f"/api/v1/conversations/{conv}/messages", params=params))["items"]
        items.extend(page)
        if len(page) < params["limit"]:
            return items
        params["after"] = page[-1]["id"]


def check(outcome: Outcome) -> list[str]:
    """Every broken guarantee, in words; empty when the run was clean."""
    problems: list[str] = []
    if outcome.refused:
        problems.append(f"requests refused or failed: {dict(outcome.refused)}")
    if not outcome.acknowledged:
        problems.append("no message was acknowledged")
    acked_ids = [a["id"] for a in outcome.acknowledged]

    stored_counts: Counter[str] = Counter()
    for messages in outcome.stored.values():
        stored_counts.update(m["id"] for m in messages)
    texts = {conv: Counter(m["text"] for m in msgs) for conv, msgs in outcome.stored.items()}
    for a in outcome.acknowledged:
        if stored_counts[a["id"]] != 1 or texts[a["conv"]][a["text"]] != 1:
            problems.append(f"message {a['id']} stored {stored_counts[a['id']]} times")
        if a["bot"]:
            replies = [
                m
                for m in outcome.stored[a["conv"]]
                if m["sender"]["type"] == "ai_agent" and m["text"] == f"You said: {a['text']}"
            ]
            if len(replies) != 1:
                problems.append(f"bot turn for {a['id']} answered {len(replies)} times")

    per_agent: Counter[str] = Counter()
    for conv, kind in outcome.conversations.items():
        trail = outcome.trails[conv]
        if len(trail) != 1:
            problems.append(f"conversation {conv} assigned {len(trail)} times: {trail}")
            continue
        row = trail[0]
        expected = "channel_rule" if kind == "bot" else "round_robin"
        if row["reason"] != expected:
            problems.append(f"conversation {conv} assigned by {row['reason']}, not {expected}")
        if kind == "human" and row["to"] and row["to"]["id"] in outcome.steady_ids:
            per_agent[row["to"]["id"]] += 1
    counts = [per_agent[a] for a in outcome.steady_ids]
    if counts and max(counts) - min(counts) > 1:
        problems.append(f"round robin spread {counts} among the steady agents")

    for port, frames in outcome.frames.items():
        seen = Counter(f["data"]["id"] for f in frames if f["type"] == "message.created")
        wrong = [i for i in acked_ids if seen[i] != 1]
        if wrong:
            problems.append(f"socket on :{port}: {len(wrong)} messages not seen exactly once")
    delivered = Counter(d["data"]["id"] for d in outcome.deliveries)
    wrong = [i for i in acked_ids if delivered[i] != 1]
    if wrong:
        problems.append(f"webhook: {len(wrong)} messages not delivered exactly once")
    event_ids = Counter(d["id"] for d in outcome.deliveries)
    if any(n > 1 for n in event_ids.values()):
        problems.append("webhook: an event was delivered more than once")

    for port, gauges in outcome.queues.items():
        if not queues_empty(gauges):
            problems.append(f"queues left on :{port}: {gauges}")
    for port, alive in outcome.alive.items():
        if not alive:
            problems.append(f"process on :{port} died")
    for port, (start, end) in outcome.rss_kib.items():
        if end > 2 * start:
            problems.append(f"process on :{port} grew from {start} to {end} KiB")
    return problems


def summary(outcome: Outcome) -> list[tuple[str, str]]:
    """The figures of a run, as rows for a table."""
    load = outcome.load
    bots = sum(1 for a in outcome.acknowledged if a["bot"])
    rows = [
        ("duration", f"{load.seconds:.0f} s, {load.processes} processes"),
        ("messages acknowledged", f"{len(outcome.acknowledged)} ({bots} to the bot)"),
        ("conversations", str(len(outcome.conversations))),
        ("agent status changes", str(outcome.status_changes)),
        ("refused", str(dict(outcome.refused) or 0)),
        ("queues drained after the load", f"{outcome.drain_s:.1f} s"),
        ("webhook deliveries", str(len(outcome.deliveries))),
    ]
    for port, (start, end) in outcome.rss_kib.items():
        rows.append((f"RSS :{port}", f"{start / 1024:.0f} → {end / 1024:.0f} MiB"))
    return rows
