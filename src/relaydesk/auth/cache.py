"""A short-lived, per-process cache of resolved tokens (API keys and contact tokens).

Resolving a bearer token costs a database session of its own (three to four round trips)
on every request; the widget and server integrations send many requests with the same
token. A resolved API key or contact token is reused for ``auth_cache_s`` seconds.

Revocation stays immediate: every ``auth.revoked`` event (logout, a revoked API key, a
deleted agent) empties the cache of the process that commits it before the response is
sent, and of every other process as soon as the broker delivers the event. If the broker
subscription was lost meanwhile (Redis down), entries from before the gap are dropped. Agent
tokens are not cached: an agent's role decides what it may do and can change at any time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from relaydesk.auth.principal import Principal
from relaydesk.events import AUTH_REVOKED, Broker, Event, off_committed, on_committed

log = logging.getLogger("relaydesk.auth")

MAX_ENTRIES = 50_000


class PrincipalCache:
    """token hash → (principal, expiry, broker gap count) for ``ttl_s`` seconds."""

    def __init__(self, broker: Broker, ttl_s: float) -> None:
        self.broker = broker
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[Principal, float, int]] = {}
        self._task: asyncio.Task[None] | None = None
        #: bumped by every clear: a lookup that started before a revocation is not kept
        self.generation = 0

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0

    def get(self, digest: str) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        principal, expires, gaps = entry
        if expires < time.monotonic() or gaps != self.broker.gaps:
            self._entries.pop(digest, None)
            return None
        return principal

    def put(self, digest: str, principal: Principal, generation: int) -> None:
        """Keep a principal looked up when the cache was at ``generation``."""
        if not self.enabled or principal.kind not in ("api_key", "contact"):
            return
        if generation != self.generation:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[digest] = (principal, time.monotonic() + self.ttl_s, self.broker.gaps)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()

    # --- revocations

    def _on_committed(self, events: list[Event]) -> None:
        if any(event.type == AUTH_REVOKED for event in events):
            self.clear()

    async def start(self) -> None:
        """Listen for revocations committed here and, through the broker, elsewhere."""
        if not self.enabled:
            return
        on_committed(self._on_committed)
        self._task = asyncio.create_task(self._listen(), name="relaydesk-auth-cache")

    async def _listen(self) -> None:
        while True:
            try:
                async for event in self.broker.subscribe():
                    if event.type == AUTH_REVOKED:
                        self.clear()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - keep listening; drop what may be stale
                log.exception("auth cache: the revocation subscription failed")
                self.clear()
                await asyncio.sleep(1)

    async def stop(self) -> None:
        off_committed(self._on_committed)
        self.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
