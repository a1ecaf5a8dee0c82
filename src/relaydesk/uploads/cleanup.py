"""The sweeper: files uploaded but never attached to a message are deleted after
``upload_unattached_ttl_s``, so a token holder cannot fill the disk with orphans.

Every process with workers sweeps; deleting is idempotent (a row another process removed
first is simply gone), so several processes together delete each file once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from relaydesk.config import Settings
from relaydesk.db import utcnow
from relaydesk.uploads import service

log = logging.getLogger(__name__)
BATCH = 200


async def sweep_once(maker: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    """Delete one batch of expired unattached files; how many."""
    cutoff = utcnow() - timedelta(seconds=settings.upload_unattached_ttl_s)
    async with maker() as session:
        rows = await service.unattached(session, created_before=cutoff, limit=BATCH)
        paths = [service.storage_path(settings, row) for row in rows]
        for row in rows:
            await service.delete(session, upload=row)
        await session.commit()
    for path in paths:  # after the commit: a row never outlives its file by our doing
        await asyncio.to_thread(path.unlink, missing_ok=True)
    return len(rows)


async def run(maker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    while True:
        try:
            while await sweep_once(maker, settings) == BATCH:
                pass
        except Exception:  # the database may be away: try again next round
            log.warning("upload sweep failed; retrying in %s s", settings.upload_sweep_s)
        await asyncio.sleep(settings.upload_sweep_s)


async def start(app: FastAPI) -> Callable[[], Awaitable[None]]:
    """Start this process's sweeper; returns the coroutine function that stops it."""
    settings: Settings = app.state.settings
    task = asyncio.create_task(run(app.state.sessionmaker, settings), name="upload-sweep")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return stop
