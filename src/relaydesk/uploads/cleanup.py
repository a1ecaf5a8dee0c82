"""The sweeper: files uploaded but never attached to a message are deleted after
``upload_unattached_ttl_s``, so a token holder cannot fill the disk with orphans.

Every process with workers sweeps; deleting is idempotent (a row another process removed
first is simply gone), so several processes together delete each file once.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from relaydesk.config import Settings
from relaydesk.db import utcnow
from relaydesk.periodic import every
from relaydesk.uploads import service

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


async def _sweep(app: FastAPI) -> None:
    while await sweep_once(app.state.sessionmaker, app.state.settings) == BATCH:
        pass


start = every("upload-sweep", lambda settings: settings.upload_sweep_s, _sweep)
