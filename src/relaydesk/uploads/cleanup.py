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
        # deleted only if still unattached: a message may have taken one meanwhile
        gone = await service.delete_unattached(session, ids=[row.id for row in rows])
        await session.commit()
    for row in rows:  # after the commit: a row never outlives its file by our doing
        if row.id in gone:
            await asyncio.to_thread(service.storage_path(settings, row).unlink, missing_ok=True)
    return len(rows)


async def _sweep(app: FastAPI) -> None:
    while await sweep_once(app.state.sessionmaker, app.state.settings) == BATCH:
        pass


start = every("upload-sweep", lambda settings: settings.upload_sweep_s, _sweep)
