"""kill -9 while a webhook delivery is in flight: the restarted server sends it again after
its lease, with the same delivery id, and then not again (at least once, de-duplicable)."""

from __future__ import annotations

import time
from pathlib import Path

from tests.support import Api, Server, new_app, wait_until
from tests.webhooks.receiver import Receiver

ENV = {
    "RELAYDESK_WEBHOOK_TIMEOUT_S": "2",  # lease 2 * 1.5 + 1 = 4 s
    "RELAYDESK_WEBHOOK_BACKOFF_BASE_S": "0.2",
    "RELAYDESK_WEBHOOK_BACKOFF_MAX_S": "0.2",
}


def test_a_delivery_cut_by_kill_9_is_sent_again_once_with_the_same_id(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    receiver = Receiver()
    srv = Server(database_url=url, workdir=tmp_path / "a", env=ENV).start()
    try:
        api = new_app(srv.url)
        body = {"url": receiver.url + "/hook", "events": ["message.created"], "secret": "s" * 20}
        hook = api.ok(api.post("/api/v1/webhooks", body), 201)
        receiver.hang.set()  # the receiver takes the request and does not answer
        api.say(api.conversation()["id"], "delivered at least once")
        wait_until(lambda: receiver.of_type("message.created"))
        assert srv.proc is not None
        srv.proc.kill()
        srv.proc.wait(10)
        receiver.hang.clear()

        srv = Server(database_url=url, workdir=tmp_path / "b", env=ENV).start()
        api = Api(srv.url, api.token)

        def done() -> list:
            items = api.ok(api.get(f"/api/v1/webhooks/{hook['id']}/deliveries"))["items"]
            return [d for d in items if d["status"] == "done"]

        [delivery] = wait_until(done, timeout=20)
        got = receiver.of_type("message.created")
        assert [r.headers["x-relaydesk-attempt"] for r in got] == ["1", "2"]
        assert {r.headers["x-relaydesk-delivery"] for r in got} == {delivery["id"]}
        assert delivery["attempts"] == 2
        time.sleep(1.5)  # a while longer: nothing more comes
        assert len(receiver.of_type("message.created")) == 2
    finally:
        srv.stop()
        receiver.close()
