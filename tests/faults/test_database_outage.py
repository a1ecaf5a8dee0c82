"""PostgreSQL stops and comes back while a relaydesk process keeps running.

During the outage every request answers 503 ``database_unavailable`` in the error shape
(no 500, no traceback) and ``/readyz`` fails; when the database is back, the same process
serves again without a restart, its worker runs the bot turns again, and every message
acknowledged with a 2xx is there.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ai_agents import e2e
from tests.fakes.webhook_bot import FakeWebhookBot
from tests.faults.pg_cluster import Cluster
from tests.support import Api, Server, assert_error, new_app, wait_until


@pytest.fixture()
def cluster() -> Iterator[Cluster]:
    if not Cluster.available():
        pytest.skip("needs PostgreSQL's initdb and pg_ctl")
    # not under pytest's tmp_path: that is private to root, and the cluster runs as postgres
    c = Cluster(Path(tempfile.mkdtemp(prefix="relaydesk-pg-"))).create()
    yield c
    c.destroy()


def test_requests_get_503_during_an_outage_and_all_is_well_after(
    cluster: Cluster, tmp_path: Path
) -> None:
    srv = Server(database_url=cluster.url, workdir=tmp_path, env=dict(e2e.E2E_ENV)).start()
    with FakeWebhookBot() as bot:
        try:
            api = new_app(srv.url)
            hook = e2e.ai_agent(api, "webhook", {"url": bot.hook_url})
            e2e.route_new_to(api, hook["id"])
            conv = api.conversation()
            acknowledged = [api.say(conv["id"], f"before {i}")["id"] for i in range(3)]

            cluster.stop()
            refused = api.post(
                f"/api/v1/conversations/{conv['id']}/messages",
                {"sender": {"type": "contact"}, "text": "during the outage"},
            )
            assert_error(refused, 503, "database_unavailable")
            assert refused.headers.get("retry-after") == "1"
            assert_error(api.get("/api/v1/conversations"), 503, "database_unavailable")
            assert_error(api.http.get("/readyz"), 503, "not_ready")
            assert srv.proc is not None and srv.proc.poll() is None  # still running

            cluster.start()
            wait_until(lambda: api.http.get("/readyz").status_code == 200, timeout=20)
            acknowledged.append(api.say(conv["id"], "after")["id"])
            stored = [m["id"] for m in api.messages(conv["id"])]
            assert all(m in stored for m in acknowledged)
            assert "during the outage" not in [m["text"] for m in api.messages(conv["id"])]
            # the worker picked up again: the bot answers the message sent after the outage
            wait_until(
                lambda: "You said: after" in [m["text"] for m in api.messages(conv["id"])],
                timeout=20,
            )
            later = Api(srv.url, api.token).conversation()
            assert later["id"]
        finally:
            srv.stop()
