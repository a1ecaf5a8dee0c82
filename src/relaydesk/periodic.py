"""A background sweep run every few seconds in each worker process (auto-resolve, business
hours, upload cleanup): started and stopped like the other workers (``app.WORKERS``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI

log = logging.getLogger(__name__)

Start = Callable[[FastAPI], Awaitable[Callable[[], Awaitable[None]]]]


def every(
    name: str, poll_s: Callable[[Any], float], sweep: Callable[[FastAPI], Awaitable[Any]]
) -> Start:
    """A worker ``start(app)`` that runs ``sweep(app)`` every ``poll_s(settings)`` seconds;
    a failed sweep (the database away) is logged and tried again next round."""

    async def run(app: FastAPI) -> None:
        seconds = poll_s(app.state.settings)
        while True:
            try:
                await sweep(app)
            except Exception:
                log.warning("%s sweep failed; retrying in %s s", name, seconds, exc_info=True)
            await asyncio.sleep(seconds)

    async def start(app: FastAPI) -> Callable[[], Awaitable[None]]:
        task = asyncio.create_task(run(app), name=name)

        async def stop() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        return stop

    return start
