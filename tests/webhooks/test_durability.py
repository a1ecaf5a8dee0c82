"""Deliveries outlive a killed server; failing endpoints are given up on after max attempts."""

from __future__ import annotations

from pathlib import Path

from tests.support import Server, new_app, wait_until
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_webhooks import add_webhook, deliveries


def test_delivery_survives_sigkill_mid_attempt_and_failures_give_up(
    fresh_database: str, tmp_path: Path, receiver: Receiver
) -> None:
    # timeout 1 s → a lease of 2.5 s; three attempts at most
    env = {"RELAYDESK_WEBHOOK_TIMEOUT_S": "1", "RELAYDESK_WEBHOOK_MAX_ATTEMPTS": "3"}
    broken = Receiver()
    broken.fail_first, broken.fail_status = 100, 503
    first = Server(database_url=fresh_database, env=env, workdir=tmp_path).start()
    try:
        api = new_app(first.url)
        hook = add_webhook(api, receiver.url, ["message.created"])
        dead_end = add_webhook(api, broken.url, ["message.created"])
        receiver.hang.set()  # the first attempt is in flight when the server dies
        sent = api.say(api.conversation()["id"], "do not lose me")
        wait_until(lambda: receiver.of_type("message.created"))
    finally:
        first.kill()
    receiver.hang.clear()
    second = Server(database_url=fresh_database, env=env, workdir=tmp_path).start()
    try:
        api = api.as_token(api.token)
        api.http.base_url = second.url  # type: ignore[assignment]
        done = wait_until(
            lambda: [d for d in deliveries(api, hook["id"]) if d["status"] == "done"], timeout=20
        )
        tries = receiver.of_type("message.created")
        assert len(tries) == 2 and tries[1].status == 200
        assert tries[1].json()["data"]["id"] == sent["id"]
        assert tries[0].headers["x-relaydesk-delivery"] == tries[1].headers["x-relaydesk-delivery"]
        assert done[0]["attempts"] == 2
        # the endpoint that always fails: three attempts across both processes, then "failed"
        failed = wait_until(
            lambda: [d for d in deliveries(api, dead_end["id"]) if d["status"] == "failed"]
        )
        assert failed[0]["attempts"] == 3 and failed[0]["last_status"] == 503
        assert failed[0]["last_error"] == "HTTP 503" and failed[0]["next_attempt_at"] is None
        assert len(broken.of_type("message.created")) == 3
    finally:
        second.stop()
        broken.close()
