"""A bot turn that fails on our side (not the bot's) is retried, then handed to the humans.

The fault is one an operator can really cause: the server restarts with another
``RELAYDESK_SECRET_KEY``, so the AI agent's stored secret no longer decrypts and every turn
fails before the bot is called. Before, such a turn stayed ``running`` until its lease
expired, was taken back with one more attempt, with no limit, and the conversation waited
behind it for ever; now it goes the way of a failing provider: retries with backoff, then
the ``ai_error`` handoff.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ai_agents import e2e
from tests.fakes.webhook_bot import FakeWebhookBot
from tests.support import Api, Server, new_app, wait_until

HEADERS = {"X-Bot-Token": "bot-token-for-the-fault-test"}


@pytest.fixture()
def bot() -> Iterator[FakeWebhookBot]:
    with FakeWebhookBot(required_headers=HEADERS) as fake:
        yield fake  # type: ignore[misc]


def _server(tmp: Path, url: str, secret_key: str) -> Server:
    env = {**e2e.E2E_ENV, "RELAYDESK_SECRET_KEY": secret_key}
    return Server(database_url=url, workdir=tmp, env=env).start()


def test_turns_that_cannot_run_are_retried_then_handed_over(
    bot: FakeWebhookBot, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    first = _server(tmp_path, url, "the-first-secret-key-of-this-deployment")
    try:
        api = new_app(first.url)
        kim = api.agent(name="Kim", status="online")
        hook = e2e.ai_agent(api, "webhook", {"url": bot.hook_url, "headers": HEADERS})
        e2e.route_new_to(api, hook["id"])
        bot.script(event="WELCOME", reply=[{"message": "Hello from the bot"}])
        ok = api.conversation()
        assert [m["text"] for m in e2e.bot_messages(api, ok["id"], 1)] == ["Hello from the bot"]
    finally:
        first.stop()

    second = _server(tmp_path, url, "a-different-secret-key-after-a-bad-deploy")
    try:
        api2 = Api(second.url, api.token)
        api2.app_id = api.app_id
        calls_before = len(bot.bodies())
        conv = api2.conversation(message={"text": "is anyone there?"})
        handoff = e2e.trail_until(api2, conv["id"], "ai_error", timeout=20)
        assert handoff["to"] == {"type": "agent", "id": kim["id"]}
        assert e2e.assignee(api2, conv["id"])["id"] == kim["id"]  # type: ignore[index]
        assert [m["text"] for m in api2.messages(conv["id"])] == ["is anyone there?"]
        assert len(bot.bodies()) == calls_before  # the bot was never called with a bad secret
        # the AI agent is still listed (its secret masked), so an admin can fix it
        [listed] = api2.ok(api2.get("/api/v1/ai-agents"))["items"]
        assert listed["config"]["headers"] == "****"
    finally:
        second.stop()


def _killed(srv: Server) -> None:
    """kill -9: no shutdown, no lease handed back."""
    assert srv.proc is not None
    srv.proc.kill()
    srv.proc.wait(10)


def test_kill_9_mid_turn_runs_it_once_more_and_a_turn_that_always_dies_is_handed_over(
    bot: FakeWebhookBot, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    env = {**e2e.E2E_ENV, "RELAYDESK_TURN_LEASE_S": "1.5"}  # attempts: 3 (E2E_ENV)

    def start() -> Server:
        return Server(database_url=url, workdir=tmp_path, env=env).start()

    srv = start()
    api = new_app(srv.url)
    kim = api.agent(name="Kim", status="online")
    config = {"url": bot.hook_url, "headers": HEADERS, "timeout_s": 60}
    hook = e2e.ai_agent(api, "webhook", config)
    e2e.route_new_to(api, hook["id"])
    bot.script(event="WELCOME", reply=[{"message": "Hello once"}])

    def welcomes(conversation_id: str) -> int:
        """The welcome turns the bot was sent for the conversation (every attempt)."""
        return sum(
            1
            for b in bot.bodies()
            if b and b.get("groupId") == conversation_id and b.get("eventName") == "WELCOME"
        )

    try:
        # 1. killed while the bot takes its time: the restarted server runs the turn again
        #    after the lease, and the contact sees exactly one reply
        bot.slow_next(1, 30.0)
        conv = api.conversation(message={"text": "hello?"})
        wait_until(lambda: welcomes(conv["id"]) == 1)
        _killed(srv)
        srv = start()
        api = Api(srv.url, api.token)
        replies = e2e.bot_messages(api, conv["id"], 2, timeout=20)  # the welcome, the echo
        assert [m["text"] for m in replies] == ["Hello once", "You said: hello?"]
        assert welcomes(conv["id"]) == 2
        keys = {
            b["key"]
            for b in bot.bodies()
            if b and b.get("groupId") == conv["id"] and b.get("eventName") == "WELCOME"
        }
        assert len(keys) == 1  # the retry carries the same idempotency key
        e2e.settled(api, conv["id"])
        assert [m["text"] for m in api.messages(conv["id"])].count("Hello once") == 1
        assert "hello?" in [m["text"] for m in api.messages(conv["id"])]

        # 2. a turn whose every attempt is killed is not run a fourth time: it goes to Kim
        bot.slow_next(10, 30.0)
        doomed = api.conversation(message={"text": "anyone?"})
        for attempt in (1, 2, 3):
            wait_until(lambda n=attempt: welcomes(doomed["id"]) == n, timeout=20)
            _killed(srv)
            srv = start()
            api = Api(srv.url, api.token)
        handoff = e2e.trail_until(api, doomed["id"], "ai_error", timeout=20)
        assert handoff["to"] == {"type": "agent", "id": kim["id"]}
        assert welcomes(doomed["id"]) == 3  # the bot was not called again
        assert not [m for m in api.messages(doomed["id"]) if m["sender"]["type"] == "ai_agent"]
    finally:
        srv.stop()


def test_one_apps_hanging_bot_does_not_hold_up_another_apps_turns(tmp_path: Path) -> None:
    """Each process runs at most RELAYDESK_WORKER_APP_MAX turns of one app at once, so the
    other apps' turns still find free slots (here 4 slots, 2 per app)."""
    env = {**e2e.E2E_ENV, "RELAYDESK_WORKER_CONCURRENCY": "4", "RELAYDESK_WORKER_APP_MAX": "2"}
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    srv = Server(database_url=url, workdir=tmp_path, env=env).start()
    with FakeWebhookBot() as hanging, FakeWebhookBot() as quick:
        try:
            slow_app, fast_app = new_app(srv.url, "slow"), new_app(srv.url, "fast")
            for api, fake in ((slow_app, hanging), (fast_app, quick)):
                hook = e2e.ai_agent(api, "webhook", {"url": fake.hook_url, "timeout_s": 60})
                e2e.route_new_to(api, hook["id"])
            quick.script(event="WELCOME", reply=[{"message": "Hi, fast app here"}])
            hanging.slow_next(100, 10.0)
            for _ in range(6):
                slow_app.conversation()
            wait_until(lambda: len(hanging.bodies()) == 2)  # its share of the slots
            conv = fast_app.conversation()
            [reply] = e2e.bot_messages(fast_app, conv["id"], 1, timeout=8)
            assert reply["text"] == "Hi, fast app here"
            assert len(hanging.bodies()) == 2  # still hanging, and still only its share
        finally:
            srv.stop()
