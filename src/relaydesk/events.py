"""Events clients hear about: collected during a transaction, published after commit.

Services call :func:`emit` (it only appends to the session's pending list). The action
that owns the transaction calls :func:`commit`, which writes the webhook outbox rows in
the same transaction, commits, and only then publishes to the broker. A rolled-back
transaction publishes nothing. The broker is chosen from a URL, as in Starlette's
broadcaster: ``memory://`` (one process) or ``redis://`` (every process).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.db import new_id, utcnow

log = logging.getLogger("relaydesk.events")


@dataclass
class Event:
    """One event: its type, app, payload, and who may see it."""

    type: str
    app_id: str
    data: dict[str, Any]
    conversation_id: str | None = None
    contact_id: str | None = None  # the conversation's contact (contact sockets filter on it)
    agent_ids: list[str] | None = None  # only these agents (None = every agent of the app)
    id: str = field(default_factory=lambda: new_id("evt"))
    origin: str | None = None  # the process that published it (it delivered it itself)
    created_at: str = field(default_factory=lambda: utcnow().isoformat().replace("+00:00", "Z"))

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Event:
        return cls(**json.loads(raw))


#: events that only steer the servers themselves: never sent to clients or webhooks
AUTH_REVOKED = "auth.revoked"
INTERNAL_TYPES = frozenset({AUTH_REVOKED, "typing"})

PENDING = "relaydesk_pending_events"
AFTER_COMMIT = "relaydesk_after_commit"


def emit(session: AsyncSession, event: Event) -> None:
    """Queue an event to publish once the session's transaction commits."""
    session.info.setdefault(PENDING, []).append(event)


class InConversation(Protocol):
    """What an event about a conversation needs to know of it."""

    id: str
    app_id: str
    contact_id: str


def emit_about(
    session: AsyncSession, conversation: InConversation, type_: str, data: dict[str, Any]
) -> None:
    """Queue an event about one conversation: its agents and its contact may see it."""
    emit(
        session,
        Event(
            type=type_,
            app_id=conversation.app_id,
            conversation_id=conversation.id,
            contact_id=conversation.contact_id,
            data=data,
        ),
    )


def emit_revoked(
    session: AsyncSession,
    *,
    app_id: str,
    token_hash: str | None = None,
    kind: str | None = None,
    id: str | None = None,  # noqa: A002
) -> None:
    """Close the sockets opened with a token (or by a principal) that was just revoked."""
    data = {"token_hash": token_hash, "kind": kind, "id": id}
    emit(session, Event(type=AUTH_REVOKED, app_id=app_id, data=data))


def after_commit(session: AsyncSession, callback: Callable[[], Awaitable[None] | None]) -> None:
    """Run ``callback`` after the next commit (e.g. wake the bot-turn workers)."""
    callbacks = session.info.setdefault(AFTER_COMMIT, [])
    if callback not in callbacks:
        callbacks.append(callback)


Hook = Callable[[AsyncSession, list[Event]], Awaitable[None]]
_before_commit_hooks: list[Hook] = []
#: called with the events of every commit, before they are published
_committed_listeners: list[Callable[[list[Event]], None]] = []


def on_committed(listener: Callable[[list[Event]], None]) -> None:
    """Register a synchronous listener for the events each commit carried."""
    if listener not in _committed_listeners:
        _committed_listeners.append(listener)


def off_committed(listener: Callable[[list[Event]], None]) -> None:
    if listener in _committed_listeners:
        _committed_listeners.remove(listener)


def before_commit_hook(hook: Hook) -> Hook:
    """Register work that must run inside the transaction for its events (webhook outbox)."""
    _before_commit_hooks.append(hook)
    return hook


async def commit(session: AsyncSession, broker: Broker | None) -> list[Event]:
    """Commit the session, then publish its pending events and run after-commit callbacks."""
    events: list[Event] = list(session.info.get(PENDING, []))
    for hook in _before_commit_hooks:
        if events:
            await hook(session, events)
    await session.commit()
    session.info.pop(PENDING, None)
    callbacks = session.info.pop(AFTER_COMMIT, [])
    if events and _committed_listeners:
        for listener in _committed_listeners:
            try:
                listener(events)
            except Exception:  # the change is committed: a listener must not fail it
                log.exception("commit listener %r failed", listener)
    if broker is not None and events:
        try:
            await broker.publish_many(events)
        except Exception:  # the change is committed; a lost fan-out must not fail it
            log.exception("could not publish events %s", [ev.type for ev in events])
    for cb in callbacks:
        try:  # the change is committed: a failing callback must not turn it into an error
            result = cb()
            if asyncio.iscoroutine(result):
                await result
        except Exception:
            log.exception("after-commit callback %r failed", cb)
    return events


async def rollback(session: AsyncSession) -> None:
    """Roll back and forget the pending events."""
    await session.rollback()
    session.info.pop(PENDING, None)
    session.info.pop(AFTER_COMMIT, None)


class Broker:
    """Fan-out of committed events to every subscriber of the deployment."""

    #: how many times the cross-process subscription was lost (events may have been missed)
    gaps: int = 0

    async def connect(self) -> None: ...

    async def disconnect(self) -> None: ...

    async def publish(self, event: Event) -> None:
        raise NotImplementedError

    async def publish_many(self, events: list[Event]) -> None:
        """Publish a commit's events, in order."""
        for event in events:
            await self.publish(event)

    def subscribe(self) -> AsyncIterator[Event]:
        raise NotImplementedError


class MemoryBroker(Broker):
    """In-process fan-out (``memory://``)."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[Event]] = set()

    async def publish(self, event: Event) -> None:
        for q in list(self._queues):
            q.put_nowait(event)

    @contextlib.asynccontextmanager
    async def _queue(self) -> AsyncIterator[asyncio.Queue[Event]]:
        q: asyncio.Queue[Event] = asyncio.Queue()
        self._queues.add(q)
        try:
            yield q
        finally:
            self._queues.discard(q)

    async def subscribe(self) -> AsyncIterator[Event]:  # type: ignore[override]
        async with self._queue() as q:
            while True:
                yield await q.get()


class RedisBroker(Broker):
    """Fan-out across processes through Redis pub/sub (``redis://``).

    One Redis subscription per process feeds the local subscribers, so a process with
    thousands of sockets holds one Redis connection for them. A process delivers its own
    events to its own subscribers at once, not through Redis (it skips them when they come
    back): its sockets keep getting events while Redis is away.
    """

    CHANNEL = "relaydesk:events"

    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(url)
        self._local = MemoryBroker()
        self.origin = new_id("proc")
        self._task: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        await self._redis.ping()
        ready = asyncio.Event()
        self._task = asyncio.create_task(self._listen(ready))
        await asyncio.wait_for(ready.wait(), 10)

    async def _listen(self, ready: asyncio.Event) -> None:
        while True:
            try:
                pubsub = self._redis.pubsub()
                await pubsub.subscribe(self.CHANNEL)
                if ready.is_set():  # a re-subscription: what was published meanwhile is lost
                    self.gaps += 1
                ready.set()
                async for msg in pubsub.listen():
                    if msg.get("type") == "message":
                        event = Event.from_json(msg["data"])
                        if event.origin != self.origin:  # ours were delivered already
                            await self._local.publish(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                self.gaps += 1
                log.exception("redis subscription lost; reconnecting")
                await asyncio.sleep(1)

    async def disconnect(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._redis.aclose()

    async def publish(self, event: Event) -> None:
        await self.publish_many([event])

    async def publish_many(self, events: list[Event]) -> None:
        """Deliver here at once, then to the other processes in one pipelined round trip
        (order kept)."""
        for event in events:
            event.origin = self.origin
            await self._local.publish(event)
        async with self._redis.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.publish(self.CHANNEL, event.to_json())
            await pipe.execute()

    def subscribe(self) -> AsyncIterator[Event]:
        return self._local.subscribe()


def make_broker(redis_url: str | None) -> Broker:
    """``redis://…`` → RedisBroker; unset or ``memory://`` → MemoryBroker."""
    if redis_url and not redis_url.startswith("memory://"):
        return RedisBroker(redis_url)
    return MemoryBroker()
