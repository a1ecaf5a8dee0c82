"""Workers that run bot turns from the durable queue (``bot_turns``).

A turn is claimed in a short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and
leased until ``locked_until``; the bot is called outside any transaction; the reply is
posted, the connector state saved, handoffs applied and the turn marked done in one
transaction that first re-checks the lease, so a reply is posted at most once. A worker
that dies mid-turn leaves the lease to expire; another worker (or the restarted server)
then runs the turn again. Turns of one conversation run one at a time, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import random
import socket
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from relaydesk import metrics
from relaydesk.actions import turns
from relaydesk.ai_agents import blocking, context, jobs
from relaydesk.ai_agents.base import (
    ConnectorError,
    PermanentError,
    Turn,
    TurnResult,
    reply_problem,
)
from relaydesk.ai_agents.models import AIAgent, BotTurn
from relaydesk.ai_agents.queries import claim_statement, prepare_statement, turn_from_rows
from relaydesk.ai_agents.service import ConnectorPool
from relaydesk.config import Settings
from relaydesk.db import utcnow
from relaydesk.events import Broker
from relaydesk.fairness import OVERSAMPLE, fair_pick

log = logging.getLogger("relaydesk.ai_agents.worker")

TURN_TIMEOUT_S = 120.0


class TurnWorker:
    """Claims due turns and runs up to ``concurrency`` of them at once."""

    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        broker: Broker,
        settings: Settings,
        pool: ConnectorPool,
    ) -> None:
        self.maker = maker
        self.broker = broker
        self.settings = settings
        self.pool = pool
        self.name = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.wake = asyncio.Event()
        self.running: set[asyncio.Task[None]] = set()
        #: turns this worker is running (never re-claimed by it, even if their lease lapsed)
        self.active: set[int] = set()
        #: turns in flight per app (each app gets at most ``worker_app_max`` slots)
        self.app_running: Counter[str] = Counter()
        self._app_of: dict[int, str] = {}
        self._claimed_at: dict[int, float] = {}  # monotonic time of each running turn's claim
        self._loop: asyncio.Task[None] | None = None
        self.is_postgres = not settings.is_sqlite

    # --- lifecycle

    def start(self) -> None:
        self._loop = asyncio.create_task(self._run(), name="relaydesk-turn-worker")

    async def stop(self) -> None:
        if self._loop:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        for task in list(self.running):
            task.cancel()
        await asyncio.gather(*self.running, return_exceptions=True)
        await self._release_leases()
        await self.pool.aclose()

    async def _release_leases(self) -> None:
        """On a clean stop, hand our unfinished turns back at once (no lease wait)."""
        with contextlib.suppress(Exception):
            async with self.maker() as session:
                await session.execute(
                    update(BotTurn)
                    .where(BotTurn.status == "running", BotTurn.locked_by == self.name)
                    # the interrupted attempt does not count: it was ours, not the bot's
                    .values(
                        status="pending",
                        locked_until=None,
                        locked_by=None,
                        attempts=BotTurn.attempts - 1,
                    )
                )
                await session.commit()

    def poke(self) -> None:
        self.wake.set()

    async def _run(self) -> None:
        while True:
            # clear before claiming: a poke that arrives while we claim is not lost
            self.wake.clear()
            try:
                claimed = await self._claim(self.settings.worker_concurrency - len(self.running))
                for turn_seq, exhausted, app_id in claimed:
                    self._claimed_at[turn_seq] = time.monotonic()
                    self.app_running[app_id] += 1
                    self._app_of[turn_seq] = app_id
                    work = self._give_up(turn_seq) if exhausted else self._process(turn_seq)
                    task = asyncio.create_task(work)
                    self.running.add(task)
                    self.active.add(turn_seq)
                    task.add_done_callback(functools.partial(self._done, turn_seq))
                if claimed and len(self.running) < self.settings.worker_concurrency:
                    continue  # there may be more due right now
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("claiming bot turns failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.settings.worker_poll_s)

    def _done(self, seq: int, task: asyncio.Task[None]) -> None:
        self.running.discard(task)
        self.active.discard(seq)
        self._claimed_at.pop(seq, None)
        app_id = self._app_of.pop(seq, None)
        if app_id is not None:
            self.app_running[app_id] -= 1
            if self.app_running[app_id] <= 0:
                del self.app_running[app_id]
        self.wake.set()

    # --- claiming

    async def _claim(self, slots: int) -> list[tuple[int, bool, str]]:
        """Lease due turns, a fair share per app: (seq, exhausted, app id) — exhausted ones
        used up their attempts."""
        if slots <= 0:
            return []
        now = utcnow()
        query = claim_statement(self.is_postgres)
        params = {"now": now, "slots": slots * OVERSAMPLE, "active": sorted(self.active)}
        limit = self.settings.turn_max_attempts
        async with self.maker() as session:
            turns = fair_pick(
                await session.scalars(query, params),
                slots=slots,
                running=self.app_running,
                app_max=self.settings.worker_app_max,
                app_of=lambda t: t.app_id,
            )
            claimed = []
            for turn in turns:
                turn.status = "running"
                turn.locked_by = self.name
                turn.locked_until = now + timedelta(seconds=self.settings.turn_lease_s)
                # a turn whose worker died (or crashed) on every attempt is not run again
                exhausted = turn.attempts >= limit
                if not exhausted:
                    turn.attempts += 1
                claimed.append((turn.seq, exhausted, turn.app_id))
            await session.commit()
            return claimed

    async def _give_up(self, seq: int) -> None:
        """A turn that used up its attempts without an answer goes to the humans."""
        error = ConnectorError("no attempt of this turn completed", transient=False)
        await self._record_failure(seq, error)

    # --- running one turn

    async def _process(self, seq: int) -> None:
        try:
            prepared = await self._prepare(seq)
            if prepared is None:
                return
            turn, ai_agent = prepared
            connector = self.pool.get(ai_agent)
            turn = await context.enrich(self.maker, connector, turn)
            heartbeat = asyncio.create_task(self._keep_lease(seq))
            try:
                result = await asyncio.wait_for(connector.handle(turn), TURN_TIMEOUT_S)
            except TimeoutError:
                await self._failed(seq, ConnectorError("the AI agent did not answer in time"))
                return
            except ConnectorError as exc:
                await self._failed(seq, exc)
                return
            except Exception as exc:  # a connector bug must not kill the worker
                log.exception("connector %s crashed on turn %s", ai_agent.kind, seq)
                await self._failed(seq, ConnectorError(f"connector error: {type(exc).__name__}"))
                return
            finally:
                heartbeat.cancel()
            problem = reply_problem(
                result,
                max_text_chars=self.settings.max_text_chars,
                max_metadata_bytes=self.settings.max_metadata_bytes,
            )
            if problem is not None:
                await self._failed(seq, PermanentError(problem))
                return
            await self._finish(seq, turn, ai_agent.name, result)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # not the bot's: ours (a bug, a secret, the database away)
            log.exception("bot turn %s failed unexpectedly", seq)
            # retried with backoff, then handed over, like a provider failure
            await self._record_failure(
                seq, ConnectorError(f"unexpected error: {type(exc).__name__}")
            )

    async def _record_failure(self, seq: int, error: ConnectorError) -> None:
        """Record a failure, trying again while the database is away (up to one lease), so
        the turn is retried soon after it is back instead of after its lease."""
        deadline = time.monotonic() + self.settings.turn_lease_s
        delay = 0.5
        while True:
            try:
                await self._failed(seq, error)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                if time.monotonic() + delay > deadline:  # the lease expiry takes over
                    log.exception("bot turn %s: recording the failure failed", seq)
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _keep_lease(self, seq: int) -> None:
        """Extend the lease while the bot call runs, so a slow bot is not called twice."""
        lease = self.settings.turn_lease_s
        while True:
            await asyncio.sleep(lease / 3)
            try:
                async with self.maker() as session:
                    renewed = await session.execute(
                        update(BotTurn)
                        .where(
                            BotTurn.seq == seq,
                            BotTurn.status == "running",
                            BotTurn.locked_by == self.name,
                        )
                        .values(locked_until=utcnow() + timedelta(seconds=lease))
                    )
                    await session.commit()
                if renewed.rowcount == 0:  # type: ignore[attr-defined]
                    return  # lost (or finished): nothing left to keep
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a missed renewal only risks a second call
                log.warning("turn %s: renewing the lease failed", seq, exc_info=True)

    async def _prepare(self, seq: int) -> tuple[Turn, AIAgent] | None:
        """Load everything the connector needs (one query); cancel turns that no longer apply."""
        async with self.maker() as session:
            found = (await session.execute(prepare_statement(), {"seq": seq})).first()
            if found is None:
                return None
            row, conversation, ai_agent, contact, message, state_row = found
            if row.status != "running" or row.locked_by != self.name:
                return None
            if (
                conversation is None
                or ai_agent is None
                or ai_agent.deleted_at is not None
                or conversation.assignee_type != "ai_agent"
                or conversation.assignee_id != row.ai_agent_id
                or conversation.status != "open"
            ):
                row.status = "cancelled"
                row.finished_at = utcnow()
                row.last_error = "the AI agent is no longer the assignee"
                await session.commit()
                metrics.turn_ended(row.kind, "cancelled", self._elapsed(seq), turn_id=seq)
                return None
            assert contact is not None
            turn = turn_from_rows(row, conversation, ai_agent, contact, message, state_row)
            session.expunge(ai_agent)
            return turn, ai_agent

    async def _locked_turn(self, session: AsyncSession, seq: int) -> BotTurn | None:
        """The turn, locked, if this worker still holds its lease."""
        query = select(BotTurn).where(BotTurn.seq == seq)
        if self.is_postgres:
            query = query.with_for_update()
        row = await session.scalar(query)
        if row is None or row.status != "running" or row.locked_by != self.name:
            log.warning("turn %s: lease lost before the reply could be posted; not posting", seq)
            metrics.turn_ended(row.kind if row else "other", "lost", turn_id=seq)
            return None
        return row

    def _elapsed(self, seq: int) -> float | None:
        started = self._claimed_at.get(seq)
        return time.monotonic() - started if started is not None else None

    async def _finish(self, seq: int, turn: Turn, bot_name: str, result: TurnResult) -> None:
        """Post the reply and apply its actions, exactly once (under the lease)."""
        async with self.maker() as session:
            row = await self._locked_turn(session, seq)
            if row is not None:
                await turns.finish_turn(
                    session,
                    self.broker,
                    row=row,
                    state_before=turn.state,
                    bot_name=bot_name,
                    result=result,
                )
                metrics.turn_ended(row.kind, "done", self._elapsed(seq), turn_id=seq)

    async def _failed(self, seq: int, error: ConnectorError) -> None:
        """Retry transient failures with backoff; after the last try hand over (ai_error)."""
        async with self.maker() as session:
            row = await self._locked_turn(session, seq)
            if row is None:
                return
            message = str(error)[:1000]
            row.last_error = message
            if error.transient and row.attempts < self.settings.turn_max_attempts:
                delay = min(
                    self.settings.turn_backoff_max_s,
                    self.settings.turn_backoff_base_s * 2 ** (row.attempts - 1),
                ) * random.uniform(0.8, 1.2)
                if error.retry_after_s is not None:  # the provider said when: not sooner
                    delay = max(delay, min(error.retry_after_s, self.settings.turn_lease_s))
                row.status = "pending"
                row.locked_by = None
                row.locked_until = None
                row.next_attempt_at = utcnow() + timedelta(seconds=delay)
                log.warning("turn %s failed (attempt %s), retrying: %s", seq, row.attempts, message)
                await session.commit()
                metrics.turn_ended(row.kind, "retried", self._elapsed(seq), turn_id=seq)
                return
            log.error("turn %s failed for good after %s attempts: %s", seq, row.attempts, message)
            await turns.fail_turn(session, self.broker, row=row, error=message)
            metrics.turn_ended(row.kind, "failed", self._elapsed(seq), turn_id=seq)


async def start(app: FastAPI) -> Callable[[], Awaitable[None]]:
    """Start this process's turn worker; returns its stop function."""
    blocking.configure(app.state.settings.provider_threads)
    worker = TurnWorker(
        app.state.sessionmaker,
        app.state.broker,
        app.state.settings,
        ConnectorPool(app.state.secret_box),
    )
    app.state.turn_worker = worker
    jobs.on_enqueue(worker.poke)
    worker.start()

    async def stop() -> None:
        jobs.off_enqueue(worker.poke)
        await worker.stop()

    return stop
