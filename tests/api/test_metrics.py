"""``/metrics``: what an operator alerts on — queues read from the database, bot turns by
kind and outcome, assignments by reason, HTTP by route template (never ids)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.ai_agents import e2e
from tests.fakes.webhook_bot import FakeWebhookBot
from tests.support import Server, new_app, wait_until


def scrape(base_url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"{base_url}/metrics").text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture()
def bot() -> Iterator[FakeWebhookBot]:
    with FakeWebhookBot() as fake:
        yield fake  # type: ignore[misc]


def test_queues_turns_assignments_and_routes(bot: FakeWebhookBot, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    one = Server(database_url=url, workdir=tmp_path / "one", env=dict(e2e.E2E_ENV)).start()
    two = Server(database_url=url, workdir=tmp_path / "two", env=dict(e2e.E2E_ENV)).start()
    try:
        api = new_app(one.url)
        before = scrape(one.url)
        waiting = [api.conversation() for _ in range(2)]  # nobody to take them: queued
        after = scrape(one.url)
        assert value(after, "relaydesk_waiting_conversations") == 2
        queued = "relaydesk_assignments_total"
        assert value(after, queued, reason="queued") - value(before, queued, reason="queued") == 2

        hook = e2e.ai_agent(api, "webhook", {"url": bot.hook_url, "timeout_s": 60})
        e2e.route_new_to(api, hook["id"])
        bot.script(event="WELCOME", reply=[{"message": "Hi"}])
        bot.slow_next(1, 3.0)
        conv = api.conversation()
        wait_until(lambda: bot.bodies())
        # the other process reads the same queue from the database
        busy = scrape(two.url)
        assert value(busy, "relaydesk_turn_queue_depth") >= 1
        assert value(busy, "relaydesk_turn_queue_oldest_age_seconds") > 0
        e2e.bot_messages(api, conv["id"], 1)
        # counters are per process (Prometheus sums them): either process may have run it
        done = [scrape(one.url), scrape(two.url)]
        turns = "relaydesk_turns_total"
        assert sum(value(d, turns, kind="welcome", outcome="done") for d in done) == 1
        took = "relaydesk_turn_duration_seconds_sum"
        assert sum(value(d, took, kind="welcome") for d in done) >= 3.0  # the bot's 3 s
        wait_until(lambda: value(scrape(two.url), "relaydesk_turn_queue_depth") == 0)

        route = "/api/v1/conversations/{conversation_id}"
        api.ok(api.get(f"/api/v1/conversations/{waiting[0]['id']}"))
        latest = scrape(one.url)
        assert (
            value(latest, "relaydesk_http_requests_total", method="GET", route=route, status="200")
            >= 1
        )
        assert (
            value(
                latest, "relaydesk_http_request_duration_seconds_count", method="GET", route=route
            )
            >= 1
        )
        names = {name for name, _ in latest}
        assert {"relaydesk_webhook_queue_depth", "relaydesk_ws_connections"} <= names
        assert not any(waiting[0]["id"] in str(labels) for _, labels in latest)  # no ids
    finally:
        one.stop()
        two.stop()


def test_metrics_can_be_kept_to_the_scraper(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    env = {"RELAYDESK_METRICS_TOKEN": "scraper-token-123"}
    srv = Server(database_url=url, workdir=tmp_path, env=env).start()
    try:
        api = new_app(srv.url)
        refused = httpx.get(f"{srv.url}/metrics")
        assert refused.status_code == 401 and "relaydesk_" not in refused.text
        # an app's API key is not the scraper's token
        wrong = {"authorization": f"Bearer {api.token}"}
        assert httpx.get(f"{srv.url}/metrics", headers=wrong).status_code == 401
        ok = httpx.get(f"{srv.url}/metrics", headers={"authorization": "Bearer scraper-token-123"})
        assert ok.status_code == 200 and "relaydesk_http_requests_total" in ok.text
    finally:
        srv.stop()
