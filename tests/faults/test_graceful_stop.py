"""SIGTERM: the process exits 0 within its grace time and hands its running bot turns back
at once, so another process finishes them without waiting for their lease."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.ai_agents import e2e
from tests.fakes.webhook_bot import FakeWebhookBot
from tests.support import Api, Server, new_app, wait_until


def test_sigterm_exits_cleanly_and_another_process_takes_the_turn_at_once(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    env = {**e2e.E2E_ENV, "RELAYDESK_TURN_LEASE_S": "120", "RELAYDESK_SHUTDOWN_GRACE_S": "5"}
    with FakeWebhookBot() as bot:
        first = Server(database_url=url, workdir=tmp_path / "a", env=env).start()
        second: Server | None = None
        try:
            api = new_app(first.url)
            hook = e2e.ai_agent(api, "webhook", {"url": bot.hook_url, "timeout_s": 60})
            e2e.route_new_to(api, hook["id"])
            bot.script(event="WELCOME", reply=[{"message": "Welcome, once"}])
            bot.slow_next(1, 30.0)  # the first process's call hangs
            conv = api.conversation()
            wait_until(lambda: len(bot.bodies()) == 1)  # the first process runs the turn
            second = Server(database_url=url, workdir=tmp_path / "b", env=env).start()

            assert first.proc is not None
            stopped_at = time.monotonic()
            first.proc.send_signal(signal.SIGTERM)
            assert first.proc.wait(15) == 0
            assert time.monotonic() - stopped_at < 10  # within the grace time, not the bot's

            api = Api(second.url, api.token)
            # long before the 120 s lease: the turn was handed back, not abandoned
            [reply] = e2e.bot_messages(api, conv["id"], 1, timeout=15)
            assert reply["text"] == "Welcome, once"
            e2e.settled(api, conv["id"])
            texts = [m["text"] for m in api.messages(conv["id"])]
            assert texts.count("Welcome, once") == 1
        finally:
            first.stop()
            if second is not None:
                second.stop()
