"""Routing under concurrency: two ``relaydesk serve`` processes, one PostgreSQL database.

Conversations are created in parallel over HTTP (a thread pool, alternating between the two
servers). The routing service serializes decisions per app with a row lock, so the result
must be the same as if the conversations had arrived one by one (routing.md §1).
"""

from __future__ import annotations

import os
import random
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from tests.support import (
    Api,
    Server,
    create_postgres_database,
    drop_postgres_database,
    new_app,
)

PG_URL = os.environ.get("RELAYDESK_TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(
    not PG_URL, reason="concurrency tests need PostgreSQL: set RELAYDESK_TEST_DATABASE_URL"
)
WORKERS = 32


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    """Two server processes sharing one fresh PostgreSQL database."""
    assert PG_URL
    url = create_postgres_database(PG_URL)
    first = Server(database_url=url, workdir=tmp_path_factory.mktemp("s1")).start()
    second: Server | None = None
    try:
        second = Server(database_url=url, workdir=tmp_path_factory.mktemp("s2")).start()
        yield first, second
    finally:
        for s in (second, first):
            if s is not None:
                s.stop()
        drop_postgres_database(url)


class Pool:
    """Parallel HTTP calls spread over the servers; one client per thread and server."""

    def __init__(self, servers: tuple[Server, ...], token: str) -> None:
        self.urls = [s.url for s in servers]
        self.token = token
        self.local = threading.local()
        self.clients: list[httpx.Client] = []
        self.lock = threading.Lock()

    def client(self, i: int) -> httpx.Client:
        clients: dict[int, httpx.Client] | None = getattr(self.local, "clients", None)
        if clients is None:
            clients = self.local.clients = {}
        if i not in clients:
            c = httpx.Client(
                base_url=self.urls[i % len(self.urls)],
                headers={"authorization": f"Bearer {self.token}"},
                timeout=60,
            )
            clients[i] = c
            with self.lock:
                self.clients.append(c)
        return clients[i]

    def run(self, calls: list[Callable[[httpx.Client], httpx.Response]]) -> list[httpx.Response]:
        """Each call on server ``index % 2``; all responses, in the order of ``calls``."""
        with ThreadPoolExecutor(WORKERS) as ex:
            futures = [
                ex.submit(lambda i=i, f=f: f(self.client(i % len(self.urls))))
                for i, f in enumerate(calls)
            ]
            return [f.result() for f in futures]

    def close(self) -> None:
        for c in self.clients:
            c.close()


def create_calls(n: int) -> list[Callable[[httpx.Client], httpx.Response]]:
    def call(c: httpx.Client) -> httpx.Response:
        body = {"contact": {"external_id": uuid.uuid4().hex}, "message": {"text": "hi"}}
        return c.post("/api/v1/conversations", json=body)

    return [call] * n


def resolve(cid: str) -> Callable[[httpx.Client], httpx.Response]:
    return lambda client: client.patch(f"/api/v1/conversations/{cid}", json={"status": "resolved"})


def assert_no_errors(responses: list[httpx.Response], ok: tuple[int, ...] = (200, 201)) -> None:
    bad = [
        (r.request.method, r.request.url.path, r.status_code, r.text[:300])
        for r in responses
        if r.status_code not in ok
    ]
    assert not bad, bad[:5]


def all_conversations(api: Api) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = api.ok(api.get("/api/v1/conversations", params=params))
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def trails(pool: Pool, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    def fetch(cid: str) -> Callable[[httpx.Client], httpx.Response]:
        return lambda c: c.get(f"/api/v1/conversations/{cid}/assignments")

    responses = pool.run([fetch(i) for i in ids])
    assert_no_errors(responses)
    return {cid: r.json()["items"] for cid, r in zip(ids, responses, strict=True)}


@pytest.fixture
def app(servers: tuple[Server, Server]) -> Iterator[tuple[Api, Pool]]:
    api = new_app(servers[0].url)
    pool = Pool(servers, api.token or "")
    yield api, pool
    pool.close()


def test_parallel_creation_follows_the_cycle(app: tuple[Api, Pool]) -> None:
    api, pool = app
    statuses = ["online", "online", "away", "online", "offline", "online"]
    agents = [api.agent(status=s) for s in statuses]
    online = [a["id"] for a, s in zip(agents, statuses, strict=True) if s == "online"]
    n, k = 202, len(online)

    responses = pool.run(create_calls(n))
    assert_no_errors(responses)
    convs = [r.json() for r in responses]
    assert all(c["status"] == "open" and c["assignee"]["type"] == "agent" for c in convs)
    assert len({c["id"] for c in convs}) == n

    by_conv = trails(pool, [c["id"] for c in convs])
    for c in convs:
        rows = by_conv[c["id"]]
        assert len(rows) == 1, rows  # assigned exactly once
        assert rows[0]["reason"] == "round_robin" and rows[0]["from"] is None
        assert rows[0]["to"] == c["assignee"]

    counts = Counter(c["assignee"]["id"] for c in convs)
    assert set(counts) == set(online)  # away/offline agents get none
    assert {counts[a] for a in online} == {n // k, -(-n // k)}
    assert sum(counts.values()) == n

    # in the order the decisions were taken, the assignees follow the creation-order cycle
    ordered = sorted(convs, key=lambda c: by_conv[c["id"]][0]["at"])
    assert len({by_conv[c["id"]][0]["at"] for c in convs}) == n
    assert [c["assignee"]["id"] for c in ordered] == [online[i % k] for i in range(n)]


def test_capacity_under_concurrency_then_dequeue_in_order(app: tuple[Api, Pool]) -> None:
    api, pool = app
    cap = 4
    agents = [api.agent(status="online", max_concurrent=cap) for _ in range(3)]
    away = api.agent(status="away")
    ids = [a["id"] for a in agents]
    n = 60

    responses = pool.run(create_calls(n))
    assert_no_errors(responses)
    convs = [r.json() for r in responses]
    assigned = [c for c in convs if c["assignee"]]
    waiting = [c for c in convs if not c["assignee"]]
    assert Counter(c["assignee"]["id"] for c in assigned) == {i: cap for i in ids}
    assert all(c["status"] == "waiting" for c in waiting) and len(waiting) == n - 3 * cap
    by_conv = trails(pool, [c["id"] for c in convs])
    for c in waiting:
        assert [(r["reason"], r["detail"]) for r in by_conv[c["id"]]] == [
            ("queued", "all_agents_at_capacity")
        ]
    queue = [c["id"] for c in sorted(waiting, key=lambda c: by_conv[c["id"]][0]["at"])]

    # resolve the open ones in parallel, round after round: the queue drains oldest first
    served: list[str] = []
    to_resolve = [c["id"] for c in assigned]
    while to_resolve:
        assert_no_errors(pool.run([resolve(i) for i in to_resolve]))
        everything = all_conversations(api)
        open_now = [c for c in everything if c["status"] == "open"]
        loads = Counter(c["assignee"]["id"] for c in open_now)
        assert all(v <= cap for v in loads.values()), loads
        assert away["id"] not in loads
        newly = [c["id"] for c in open_now]
        still_waiting = [c["id"] for c in everything if c["status"] == "waiting"]
        # exactly the oldest waiting ones were served, and the rest still wait, in order
        assert sorted(newly) == sorted(queue[len(served) : len(served) + len(newly)])
        assert len(newly) == min(3 * cap, len(queue) - len(served))
        served += [i for i in queue if i in set(newly)]
        assert set(still_waiting) == set(queue[len(served) :])
        to_resolve = newly

    assert served == queue
    final = trails(pool, queue)
    for cid in queue:
        last = final[cid][-1]
        assert (last["reason"], last["from"], last["actor"]["type"]) == ("dequeued", None, "system")
        assert last["to"]["id"] in ids
    # dequeue decisions were taken oldest first
    dequeued_at = [final[cid][-1]["at"] for cid in queue]
    assert dequeued_at == sorted(dequeued_at)


def test_mixed_load_has_no_deadlocks_and_strands_nothing(app: tuple[Api, Pool]) -> None:
    """Creations, resolves, manual assigns, claims and status changes all at once."""
    api, pool = app
    api.routing(reassign_on_offline=True)
    agents = [api.agent(status="online", max_concurrent=3) for _ in range(4)]
    seed = pool.run(create_calls(30))
    assert_no_errors(seed)
    conv_ids = [r.json()["id"] for r in seed]
    rnd = random.Random(7)

    def action(i: int) -> Callable[[httpx.Client], httpx.Response]:
        kind = i % 6
        cid = rnd.choice(conv_ids)
        agent = rnd.choice(agents)["id"]
        if kind == 0:
            return create_calls(1)[0]
        if kind == 1:
            return resolve(cid)
        if kind == 2:
            body = {"assign_to": {"type": "agent", "id": agent}}
            return lambda c: c.post(f"/api/v1/conversations/{cid}/assign", json=body)
        if kind == 3:
            body = {"assign_to": {"type": "rules"}}
            return lambda c: c.post(f"/api/v1/conversations/{cid}/assign", json=body)
        if kind == 4:
            status = rnd.choice(["online", "offline", "away", "online"])
            return lambda c: c.patch(f"/api/v1/agents/{agent}", json={"status": status})
        body2 = {"sender": {"type": "contact"}, "text": "again"}
        return lambda c: c.post(f"/api/v1/conversations/{cid}/messages", json=body2)

    responses = pool.run([action(i) for i in range(240)])
    # 409 is a legitimate answer (e.g. claiming a resolved conversation); 5xx is not
    assert_no_errors(responses, ok=(200, 201, 409))
    for a in agents:
        api.ok(api.patch(f"/api/v1/agents/{a['id']}", {"status": "online"}))
    everything = all_conversations(api)
    loads = Counter(
        c["assignee"]["id"]
        for c in everything
        if c["status"] == "open" and c["assignee"] and c["assignee"]["type"] == "agent"
    )
    # manual assignment may exceed max_concurrent; the automatic rules never leave a
    # conversation waiting while someone is eligible
    waiting = [c for c in everything if c["status"] == "waiting"]
    if waiting:
        assert all(loads[a["id"]] >= 3 for a in agents), (loads, len(waiting))
    assert not [c for c in everything if c["status"] == "open" and c["assignee"] is None]
