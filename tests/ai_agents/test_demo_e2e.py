"""``relaydesk demo``: the built-in demo bot greets new conversations and hands over to humans."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.ai_agents import e2e
from tests.support import Api, free_port, wait_until


@contextmanager
def demo(workdir: Path) -> Iterator[tuple[str, str]]:
    """A ``relaydesk demo`` process in ``workdir``; yields (base URL, its banner)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAYDESK_")}
    env.update(
        COLUMNS="250",
        RELAYDESK_LOG_LEVEL="warning",
        RELAYDESK_WORKER_POLL_S="0.2",
        RELAYDESK_UPLOAD_DIR=str(workdir / "uploads"),
    )
    log_path = workdir / f"demo-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "relaydesk.cli", "demo", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert proc.poll() is None, log_path.read_text()
            try:
                return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(ready, timeout=60, interval=0.2)
        yield base, log_path.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_demo_bot_welcomes_and_hands_over_to_an_online_demo_agent(tmp_path: Path) -> None:
    with demo(tmp_path) as (base, banner):
        api_key = re.search(r"API key\s+(\S+)", banner).group(1)  # type: ignore[union-attr]
        app_id = re.search(r"App id\s+(\S+)", banner).group(1)  # type: ignore[union-attr]
        logins = re.findall(r"Log in as\s+(\S+) / (\S+)\s+\((\w+), (\w+)\)", banner)
        assert re.search(r"Built-in AI agent\s+Relay \(demo bot\)", banner), banner
        email, password, _, _ = logins[0]
        agent = Api(base).login(email, password)
        api = Api(base, api_key)
        api.app_id = app_id

        [bot] = agent.ok(agent.get("/api/v1/ai-agents"))["items"]
        assert (bot["name"], bot["kind"]) == ("Relay (demo bot)", "builtin")
        assert api.ok(api.get("/api/v1/routing"))["ai_routing"] == {
            "enabled": True,
            "ai_agent_ids": [bot["id"]],
        }
        conv = api.conversation(contact={"external_id": "demo-visitor", "name": "Dee"})
        assert conv["assignee"] == {"type": "ai_agent", "id": bot["id"]}
        [welcome] = e2e.bot_messages(api, conv["id"], 1)
        assert welcome["text"].startswith("Hi, I'm Relay")
        assert welcome["metadata"]["templateId"] == "6"
        titles = [s["title"] for s in welcome["metadata"]["payload"]]
        assert "Talk to a human" in titles

        api.say(conv["id"], "How long does shipping take?")
        assert "business day" in e2e.bot_messages(api, conv["id"], 2)[-1]["text"]
        api.say(conv["id"], "Do gift cards expire?")  # no intent: the knowledge base answers
        grounded = e2e.bot_messages(api, conv["id"], 3)[-1]["text"]
        assert grounded.startswith("Gift cards\n\nGift cards never expire")
        assert grounded.endswith("https://help.relaydesk.dev/gift-cards")
        assert "Knowledge base     3 articles" in banner
        api.say(conv["id"], "Talk to a human")
        row = e2e.trail_until(api, conv["id"], "ai_handoff")
        online = {
            a["id"]
            for a in agent.ok(agent.get("/api/v1/agents"))["items"]
            if a["status"] == "online"
        }
        assert row["to"]["type"] == "agent" and row["to"]["id"] in online
        assert e2e.bot_messages(api, conv["id"], 4)[-1]["text"].startswith("Connecting you")

    # a restart keeps the one demo bot (and does not add another)
    time.sleep(0.2)
    with demo(tmp_path) as (base, banner):
        email, password = re.findall(r"Log in as\s+(\S+) / (\S+)", banner)[0]
        agent = Api(base).login(email, password)
        bots = agent.ok(agent.get("/api/v1/ai-agents"))["items"]
        assert [b["id"] for b in bots] == [bot["id"]]
        articles = agent.ok(agent.get("/api/v1/knowledge/articles"))["items"]
        assert len(articles) == 3  # seeded once, with the bot
