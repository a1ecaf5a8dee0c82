"""A request never waits on another tenant's (or another contact's) locked rows.

The lookups that lock a conversation (a new message, a status change, assign, claim,
takeover, handoff) find it by id *and* app (and contact, for contact tokens) in one
statement, so a row that is not the caller's is never locked by the caller, nor waited
for. Here a transaction of the database holds the lock on B's conversation and on A's
first contact's while A's key and A's second contact call every conversation route that
writes: each must answer 404 at once, not when the lock goes.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator

import pytest

from tests.isolation.routes import call, id_routes, route_table
from tests.isolation.world import build_tenant
from tests.support import Server
from tests.webhooks.receiver import Receiver

HOLD_S = 10.0  # the lock is let go after this long at the latest
PROMPT_S = 2.0  # a request that took longer waited for the lock


@contextlib.contextmanager
def locked_rows(database_url: str, table: str, ids: list[str]) -> Iterator[None]:
    """These rows locked (``SELECT … FOR UPDATE``) by another connection meanwhile."""
    import asyncpg

    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    locked, release = threading.Event(), threading.Event()

    async def hold() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            async with conn.transaction():
                rows = await conn.fetch(
                    f"SELECT id FROM {table} WHERE id = ANY($1) FOR UPDATE", ids
                )
                assert len(rows) == len(ids)
                locked.set()
                await asyncio.to_thread(release.wait, HOLD_S)
        finally:
            await conn.close()

    holder = threading.Thread(target=lambda: asyncio.run(hold()), daemon=True)
    holder.start()
    assert locked.wait(10), "could not lock the rows"
    try:
        yield
    finally:
        release.set()
        holder.join(HOLD_S + 5)


def test_foreign_conversations_locked_elsewhere_hold_up_no_request(
    server: Server, backend: str, database_url: str, receiver: Receiver
) -> None:
    if backend != "postgres":
        pytest.skip("row locks are PostgreSQL's (SQLite locks the whole database)")
    writes = [
        op
        for op in id_routes(route_table(server.url))
        if op.path_params == ["conversation_id"] and op.method in ("POST", "PATCH")
    ]
    assert len(writes) >= 6, writes
    a = build_tenant(server.url, "A", receiver.url)
    b = build_tenant(server.url, "B", receiver.url)
    slow = []
    rows = [b.values["conversation_id"], a.values["conversation_id"]]
    with locked_rows(database_url, "conversations", rows):
        for op in writes:
            for who, caller, victim in (
                ("A's API key", a.key, b),
                ("A's other contact", a.tokens["other_contact"], a),
            ):
                started = time.monotonic()
                answer = call(op, caller, victim.values)
                took = time.monotonic() - started
                assert answer.status in (403, 404), f"{op} as {who}: {answer.response.text}"
                if took > PROMPT_S:
                    slow.append(f"{op} as {who}: {answer.status} after {took:.1f} s")
    assert not slow, "requests waited on rows that are not theirs:\n" + "\n".join(slow)
