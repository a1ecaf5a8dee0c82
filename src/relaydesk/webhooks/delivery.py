"""The webhook delivery worker: claims due deliveries, POSTs them signed, retries with backoff.

Deliveries are rows written with the event (see :func:`service.write_outbox`), so none is
lost across restarts: a claim is a lease (``locked_until``); a worker that dies mid-attempt
lets the lease expire and any process retakes the delivery. Delivery is at least once:
receivers de-duplicate by the body's event ``id`` (or ``X-Relaydesk-Delivery``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from relaydesk import outbound
from relaydesk.config import Settings
from relaydesk.db import utcnow
from relaydesk.security import SecretBox
from relaydesk.webhooks import service
from relaydesk.webhooks.service import Claimed

log = logging.getLogger("relaydesk.webhooks")

USER_AGENT = "relaydesk-webhooks/0.1"
NOT_ALLOWED = "url_not_allowed"


def lease_s(settings: Settings) -> float:
    """How long a claim holds a delivery: one request's whole deadline plus a safety margin.

    The request as a whole (connect, send, the answer's status and headers) must end within
    ``webhook_timeout_s``, so a lease never runs out while its request is still open."""
    return settings.webhook_timeout_s * 1.5 + 1.0


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


class DeliveryWorker:
    """Sends due deliveries with up to ``worker_concurrency`` requests in flight."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        box: SecretBox,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.box = box
        self.postgres = not settings.is_sqlite
        self.wake = asyncio.Event()
        self.concurrency = max(1, settings.worker_concurrency)
        self.in_flight: set[asyncio.Task[None]] = set()
        self.sending: set[int] = set()  # seqs of the deliveries being sent right now
        self.app_running: Counter[str] = Counter()  # deliveries in flight per app
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.webhook_timeout_s),
            follow_redirects=False,
            headers={"user-agent": USER_AGENT},
        )

    async def run(self) -> None:
        """Claim and send until cancelled; sleep until woken or the poll interval passes."""
        while True:
            self.wake.clear()  # before claiming, so a wake-up during the claim is not lost
            try:
                claimed = await self._claim_free_slots()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("could not claim webhook deliveries")
                claimed = 0
            if claimed:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.settings.worker_poll_s)

    async def _claim_free_slots(self) -> int:
        """Claim as many due deliveries as there are free request slots; start sending them."""
        free = self.concurrency - len(self.in_flight)
        if free <= 0:
            await asyncio.wait(self.in_flight, return_when=asyncio.FIRST_COMPLETED)
            return 1
        async with self.sessionmaker() as session:
            items = await service.claim(
                session,
                limit=free,
                lease_s=lease_s(self.settings),
                postgres=self.postgres,
                in_flight=sorted(self.sending),
                app_running=self.app_running,
                app_max=self.settings.worker_app_max,
            )
            await session.commit()  # the lease: this worker's own bookkeeping, no events
        for item in items:
            self.sending.add(item.seq)
            self.app_running[item.app_id] += 1
            task = asyncio.create_task(self._deliver(item))
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
            task.add_done_callback(functools.partial(self._sent, item.seq, item.app_id))
        return len(items)

    def _sent(self, seq: int, app_id: str, _task: asyncio.Task[None]) -> None:
        self.sending.discard(seq)
        self.app_running[app_id] -= 1
        if self.app_running[app_id] <= 0:
            del self.app_running[app_id]

    async def _deliver(self, item: Claimed) -> None:
        try:
            ok, status, error, retry_after = await self._post(item)
            retry_at = None
            refused = (error or "").startswith(NOT_ALLOWED)  # retrying would not help
            if not ok and not refused and item.attempts < self.settings.webhook_max_attempts:
                delay = service.backoff_s(
                    item.attempts,
                    self.settings.webhook_backoff_base_s,
                    self.settings.webhook_backoff_max_s,
                    retry_after,
                )
                retry_at = utcnow() + timedelta(seconds=delay)
            async with self.sessionmaker() as session:
                await service.finish(
                    session, item, ok=ok, status_code=status, error=error, retry_at=retry_at
                )
                await session.commit()
        except Exception:  # the lease expires and the delivery is retried
            log.exception("webhook delivery %s: could not record the attempt", item.id)

    async def _post(self, item: Claimed) -> tuple[bool, int | None, str | None, float | None]:
        """One signed POST: (ok, HTTP status, error, Retry-After seconds)."""
        try:  # checked when saved; again now, since what the name resolves to can change
            await outbound.ensure_allowed(item.url)
        except outbound.NotAllowed as exc:
            return False, None, f"{NOT_ALLOWED}: {exc}", None
        try:
            secret = str(self.box.decrypt(item.secret_enc))
        except ValueError as exc:
            return False, None, str(exc), None
        body = json.dumps(item.body, separators=(",", ":"), ensure_ascii=False)
        headers = {
            "content-type": "application/json",
            "x-relaydesk-signature": service.signature(secret, int(time.time()), body),
            "x-relaydesk-event": item.event_type,
            "x-relaydesk-delivery": item.id,
            "x-relaydesk-attempt": str(item.attempts),
        }
        try:
            # one deadline for the whole request: httpx's timeouts are per phase, and a
            # receiver trickling its headers byte by byte would keep one open past the lease
            async with asyncio.timeout(self.settings.webhook_timeout_s):
                # streamed and never read: a receiver's response body is not our business
                async with self.client.stream(
                    "POST", item.url, content=body.encode(), headers=headers
                ) as response:
                    status = response.status_code
                    if 200 <= status < 300:
                        return True, status, None, None
                    return False, status, f"HTTP {status}", _retry_after(response)
        except (httpx.TimeoutException, TimeoutError):
            return False, None, "timeout", None
        except httpx.HTTPError as exc:
            return False, None, f"{type(exc).__name__}: {exc}"[:500], None

    async def close(self) -> None:
        for task in list(self.in_flight):
            task.cancel()
        await asyncio.gather(*self.in_flight, return_exceptions=True)
        await self.client.aclose()


async def start(app: FastAPI) -> Callable[[], Awaitable[None]]:
    """Start this process's delivery worker; returns the coroutine function that stops it."""
    worker = DeliveryWorker(app.state.sessionmaker, app.state.settings, app.state.secret_box)
    service.on_delivery_written(worker.wake.set)
    task = asyncio.create_task(worker.run(), name="webhook-delivery")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await worker.close()
        service.off_delivery_written(worker.wake.set)

    return stop
