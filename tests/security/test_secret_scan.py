"""No secret ever leaves the server: not in an answer, a socket frame, an outbound body, the
log or the database.

One app gets every kind of secret-bearing object (``kinds.py``, ``providers.py``: API keys,
passwords and session tokens, the identity-verification secret, Lex keys, service-account
keys, webhook-bot headers, webhook signing secrets, signed links) with fresh values. The
app's bots are then driven through replies and provider faults, every GET route of the
OpenAPI document is read with each kind of token, webhooks are delivered (and fail), while
three sockets listen. Everything the server said, logged (debug level: plain text on SQLite,
JSON on PostgreSQL) and stored is searched for every secret value in every encoding it could
travel in. The only answer that may show a secret is the one that hands it out (a new API
key, a login, a widget session).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests import db_rows
from tests.ai_agents import e2e
from tests.fakes.dialogflow_server import FakeDialogflow
from tests.fakes.lex_server import FakeLex
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.webhook_bot import FakeWebhookBot
from tests.realtime.wsclient import ws_url
from tests.security.kinds import METRICS_TOKEN, PRINCIPALS, Bot, World
from tests.security.providers import KINDS
from tests.security.scan import Recorder, Seen, SocketTap, leaks
from tests.support import Server, wait_until
from tests.webhooks.receiver import Receiver, verify_signature

#: pages outside the OpenAPI document
PAGES = ["/", "/widget/demo", "/widget.js", "/healthz", "/readyz", "/openapi.json"]


@pytest.fixture()
def log_format(backend: str) -> str:
    """Plain logs on SQLite, JSON logs on PostgreSQL: both formats, within the suite's time."""
    return "text" if backend == "sqlite" else "json"


@pytest.fixture()
def world(fresh_database: str, tmp_path: Path, log_format: str) -> Iterator[World]:
    env = {
        **e2e.E2E_ENV,
        "RELAYDESK_LOG_LEVEL": "debug",
        "RELAYDESK_LOG_FORMAT": log_format,
        "RELAYDESK_METRICS_TOKEN": METRICS_TOKEN,
    }
    receiver, failing = Receiver(), Receiver()
    lex, google, bot, llm = FakeLex(), FakeDialogflow(), FakeWebhookBot(), FakeOpenAI()
    with lex, google, bot, llm:
        server = Server(database_url=fresh_database, workdir=tmp_path, env=env).start()
        try:
            yield World(server, Recorder(), lex, google, bot, receiver, failing, llm)
        finally:
            server.stop()
            receiver.close()
            failing.close()


def _converse(w: World, bot: Bot, outcome: str, text: str | None = None) -> str:
    """A conversation with the bot (welcome, then ``text``): its reply or its handoff."""
    first = {"message": {"text": bot.opening}} if bot.opening else {}
    conv = w.api.conversation(assign_to={"type": "ai_agent", "id": bot.ai_agent["id"]}, **first)
    if outcome == "ai_error":
        e2e.trail_until(w.api, conv["id"], "ai_error", timeout=30)
        return str(conv["id"])
    e2e.bot_messages(w.api, conv["id"], 1, timeout=30)
    if text is not None:
        w.api.say(conv["id"], text)
        e2e.bot_messages(w.api, conv["id"], 2, timeout=30)
    assert "ai_error" not in [t["reason"] for t in w.api.trail(conv["id"])]
    return str(conv["id"])


def _drive(w: World, bots: list[Bot]) -> str:
    """Bots sharing one fake: a conversation each, a masked PATCH, then their faults one at
    a time (a fault is armed on the fake, so the next call of any of them takes it)."""
    api, last = w.api, ""
    for bot in bots:
        last = _converse(w, bot, "reply", "hello from the scan")
    for bot in bots:  # a masked PATCH keeps the stored secrets
        got = api.ok(api.get(f"/api/v1/ai-agents/{bot.ai_agent['id']}"))
        masked = {"name": "renamed", "config": got["config"]}
        api.ok(api.patch(f"/api/v1/ai-agents/{got['id']}", masked))
    for bot in bots:
        for fault in bot.faults:
            fault.arm()
            _converse(w, bot, fault.outcome)
    return last


def _exercise(w: World) -> None:
    api = w.api
    team = api.ok(api.post("/api/v1/teams", {"name": "Scan", "member_ids": [w.ids["agent_id"]]}))
    w.ids["team_id"] = team["id"]
    w.ids["ai_agent_id"] = w.bots[0].ai_agent["id"]
    groups: dict[str, list[Bot]] = {}
    for bot in w.bots:
        groups.setdefault(bot.fake, []).append(bot)
    with ThreadPoolExecutor(len(groups)) as pool:  # fakes are independent: drive them at once
        for conversation_id in pool.map(lambda bots: _drive(w, bots), groups.values()):
            w.ids["conversation_id"] = conversation_id
    contact = w.client(w.tokens["contact"])
    mine = contact.ok(contact.post("/api/v1/conversations", {"message": {"text": "hi, it's Cleo"}}))
    w.client(w.tokens["admin"]).say(mine["id"], "Hello Cleo", sender="agent")
    wait_until(lambda: w.receiver.of_type("message.created"), timeout=20)
    failed = f"/api/v1/webhooks/{w.ids['failing_webhook']}/deliveries"
    wait_until(lambda: any(d["last_error"] for d in api.ok(api.get(failed))["items"]), timeout=20)
    _read_every_route(w)
    assert w.client(METRICS_TOKEN).get("/metrics").status_code == 200


def _read_every_route(w: World) -> None:
    """Every GET of the OpenAPI document, with each kind of token, and the pages."""
    document = w.api.ok(w.api.get("/openapi.json"))
    clients = [w.api, w.client(w.tokens["admin"]), w.client(w.tokens["contact"])]
    for path, ops in document["paths"].items():
        if "get" not in ops:
            continue
        params = [p["name"] for p in ops["get"].get("parameters", []) if p["in"] == "path"]
        missing = [p for p in params if p not in w.ids]
        assert not missing, f"GET {path}: give the scan an id for {missing}"
        concrete = path.format(**{p: w.ids[p] for p in params})
        for client in clients:
            assert client.get(concrete).status_code < 500, concrete
    for page in PAGES:
        assert w.client(None).get(page).status_code < 500, page


def _outbound(w: World) -> list[Seen]:
    """What the server sent out: webhook deliveries (headers and bodies), provider bodies."""
    seen = [
        Seen("outbound", f"delivery {r.path}", f"{r.headers}\n{r.body.decode()}")
        for r in [*w.receiver.requests, *w.failing.requests]
    ]
    seen += [Seen("outbound", f"bot {r['path']}", str(r["body"])) for r in w.bot.requests]
    seen += [Seen("outbound", f"google {r['path']}", str(r["body"])) for r in w.google.requests]
    seen += [Seen("outbound", f"lex {r.operation}", str(r.body)) for r in w.lex.requests]
    return seen


def _stored(url: str) -> list[Seen]:
    return [
        Seen("db", f"{table} row {i}", " | ".join(db_rows.as_text(v) for v in row.values()))
        for table, rows in db_rows.tables(url).items()
        for i, row in enumerate(rows)
    ]


def test_no_secret_is_returned_sent_logged_or_stored_in_plaintext(
    world: World, fresh_database: str
) -> None:
    w = world
    for make in PRINCIPALS:
        make(w)
    base = w.server.url
    sockets = [
        # a client (or a proxy) may send credentials in headers too: debug logs show them
        SocketTap(
            ws_url(base, w.tokens["api_key"]),
            headers={"Authorization": f"Bearer {w.tokens['api_key']}"},
        ),
        SocketTap(ws_url(base, w.tokens["admin"])),
        SocketTap(
            ws_url(base), first_frame=json.dumps({"type": "auth", "token": w.tokens["contact"]})
        ),
    ]
    for make in KINDS:
        make(w)
    _exercise(w)
    seen = list(w.rec.seen)
    for tap in sockets:
        seen += tap.close()
    w.server.stop()  # every line flushed
    for add in w.later.values():
        add()
    seen += _outbound(w)
    assert w.server.log_path is not None
    log = Path(w.server.log_path).read_text(errors="replace")
    seen.append(Seen("log", "server log", log))
    seen += _stored(fresh_database)

    # the scan looked at real traffic: signed deliveries, socket events, failures logged
    signed = next(r for r in w.receiver.requests if r.status == 200)
    secret = next(s.value for s in w.secrets if s.name == "ok webhook signing secret")
    assert verify_signature(secret, signed.headers["x-relaydesk-signature"], signed.body)
    assert sum(len(t.frames) for t in sockets) > 20
    assert "failed" in log and "retrying" in log, log[-2000:]
    assert len(w.secrets) > 25

    found = leaks(w.secrets, seen)
    assert not found, "\n".join(found)
