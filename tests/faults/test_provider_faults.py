"""Provider faults, for each connector kind: retried with backoff, then handed to the humans.

Each case is one AI agent of one kind in front of its local fake (``provider_fakes.py``),
one human agent online, and a new conversation whose welcome turn meets the fault: an HTTP
503, a 429 with ``Retry-After``, a refused connection, a hang past the connector's timeout,
or a 200 whose body is not what the provider sends.

- **clears**: the fault happens twice, then the bot answers. The contact sees exactly one
  bot reply (the real one, never an empty or garbled one), the fake saw one call per
  attempt (three; so no hidden retries inside a client library), and a 429 is tried again
  no earlier than its ``Retry-After``.
- **persists**: every attempt meets the fault. After the last of the
  ``RELAYDESK_TURN_MAX_ATTEMPTS`` calls the conversation goes to the human with reason
  ``ai_error`` (the fault named in the trail's detail), no bot message is posted, and the
  bot is never called again: the turn is not left running or pending.

All cases share one server (SQLite, 3 attempts, 0.1-0.3 s backoffs, 0.5 s provider timeouts)
and one app with its human; each gets its own AI agent, its own fake and its own conversation.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ai_agents import e2e
from tests.faults.provider_fakes import Provider, make, unique
from tests.support import Api, Server, new_app, wait_until

MAX_ATTEMPTS = 3
FAILURES = 2  # a fault that clears: this many failed attempts, then the answer
RETRY_AFTER_S = 1  # far above the backoff (0.1-0.3 s, jittered by 20 %)
SETTLE_S = 0.7  # past the longest backoff (0.36 s) and several worker polls (0.1 s)
ENV = {
    **e2e.E2E_ENV,
    "RELAYDESK_TURN_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
    "RELAYDESK_TURN_BACKOFF_BASE_S": "0.1",
    "RELAYDESK_TURN_BACKOFF_MAX_S": "0.3",
    "RELAYDESK_WORKER_POLL_S": "0.1",
    "RELAYDESK_LOG_LEVEL": "info",
}
#: what the ai_error detail names, per fault (each connector words it its own way)
DETAIL = {
    "5xx": r"503",
    "429": r"429",
    "refused": r"unreachable|could not reach",
    "timeout": r"timed out|did not answer",
    "malformed": r"answered badly|not a message array|non-JSON",
}
FAULTS = list(DETAIL)
#: every fault for one connector of each family; the malformed body for the other kinds too
CASES = [(kind, fault) for kind in ("lex_v2", "dialogflow_es", "webhook") for fault in FAULTS]
CASES += [("lex_v1", "malformed"), ("dialogflow_cx", "malformed")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp: Path = tmp_path_factory.mktemp("provider-faults")
    url = f"sqlite+aiosqlite:///{tmp / 'relaydesk.db'}"
    srv = Server(database_url=url, workdir=tmp, env=ENV).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def app(server: Server) -> tuple[Api, dict[str, Any]]:
    """The app and its one human agent, online."""
    api = new_app(server.url)
    human = api.agent(f"human-{unique()}@example.com", name="Hana", status="online")
    return api, human


@pytest.fixture()
def provider(request: pytest.FixtureRequest) -> Iterator[Provider]:
    fake = make(request.param)
    try:
        yield fake
    finally:
        fake.close()


def _arm(p: Provider, fault: str, count: int) -> None:
    """Make the next ``count`` bot calls meet the fault (a refused port stays closed)."""
    if fault == "5xx":
        p.fail(count, 503)
    elif fault == "429":
        p.fail(count, 429, retry_after=RETRY_AFTER_S)
    elif fault == "timeout":
        p.hang(count)
    elif fault == "malformed":
        p.garble(count)
    else:
        p.refuse()


def _retried(srv: Server) -> float:
    """Turn attempts the server has retried so far (``relaydesk_turns_total``, /metrics)."""
    text = httpx.get(f"{srv.url}/metrics", timeout=5).text
    found = re.findall(r'^relaydesk_turns_total\{[^}]*outcome="retried"[^}]*\} (\S+)$', text, re.M)
    return sum(float(v) for v in found)


def _bot_replies(api: Api, conversation_id: str) -> list[dict[str, Any]]:
    return [m for m in api.messages(conversation_id) if m["sender"]["type"] == "ai_agent"]


def _assert_waited_for_retry_after(calls: list[float]) -> None:
    gaps = [b - a for a, b in zip(calls, calls[1:], strict=False)]
    assert gaps and all(g >= RETRY_AFTER_S for g in gaps), gaps


def _bot_for(api: Api, p: Provider) -> dict[str, Any]:
    """An AI agent of the provider's kind, taking the app's new conversations."""
    bot = e2e.ai_agent(api, p.kind, p.config(), auto_handoff=True)
    e2e.route_new_to(api, bot["id"])
    return bot  # type: ignore[no-any-return]


@pytest.mark.parametrize(("provider", "fault"), CASES, indirect=["provider"])
def test_a_fault_that_clears_gives_exactly_one_real_reply(
    server: Server, app: tuple[Api, dict[str, Any]], provider: Provider, fault: str
) -> None:
    api, bot = app[0], _bot_for(app[0], provider)
    _arm(provider, fault, FAILURES)
    retried_before = _retried(server)
    conv = api.conversation()
    if fault == "refused":  # the fake cannot count refused calls: the server's metrics can
        wait_until(lambda: _retried(server) - retried_before >= FAILURES, timeout=20)
        provider.accept()
    [reply] = e2e.bot_messages(api, conv["id"], 1, timeout=20)
    assert reply["text"] == provider.welcome
    assert reply["sender"]["id"] == bot["id"]
    time.sleep(SETTLE_S)  # a second reply, or another call, would come within this
    calls = provider.calls()
    assert len(calls) == (1 if fault == "refused" else FAILURES + 1), calls
    assert len(_bot_replies(api, conv["id"])) == 1
    assert "ai_error" not in [row["reason"] for row in api.trail(conv["id"])]
    assert e2e.assignee(api, conv["id"]) == {"type": "ai_agent", "id": bot["id"]}
    if fault == "429":
        _assert_waited_for_retry_after(calls)


@pytest.mark.parametrize(("provider", "fault"), CASES, indirect=["provider"])
def test_a_fault_that_persists_hands_over_with_ai_error_and_stops(
    app: tuple[Api, dict[str, Any]], provider: Provider, fault: str
) -> None:
    (api, human), bot = app, _bot_for(app[0], provider)
    _arm(provider, fault, 100)
    conv = api.conversation()
    row = e2e.trail_until(api, conv["id"], "ai_error", timeout=30)
    assert row["from"] == {"type": "ai_agent", "id": bot["id"]}
    assert row["to"] == {"type": "agent", "id": human["id"]}
    assert re.search(DETAIL[fault], row["detail"] or ""), row
    assert e2e.assignee(api, conv["id"]) == {"type": "agent", "id": human["id"]}
    seen = provider.calls()
    assert len(seen) == (0 if fault == "refused" else MAX_ATTEMPTS), seen
    if fault == "429":
        _assert_waited_for_retry_after(seen)
    if fault == "refused":
        provider.accept()  # a turn still queued would now reach the bot
    time.sleep(SETTLE_S)
    assert len(provider.calls()) == len(seen)  # nothing after the handoff
    assert _bot_replies(api, conv["id"]) == []
    assert [r["reason"] for r in api.trail(conv["id"])].count("ai_error") == 1
