"""The threads provider SDKs run in (boto3, google-auth): bounded, sized for I/O.

asyncio's default executor has ``min(32, cpus + 4)`` threads (6 on 2 cores) and is shared
with everything else that calls ``to_thread``, so a few slow Lex calls starved the rest.
Provider calls get their own pool of ``RELAYDESK_PROVIDER_THREADS`` threads (64 by default,
set by :func:`configure` at start) instead: each call mostly waits on the network, so many
can be in flight at once.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_pool: list[ThreadPoolExecutor] = []
_size = [64]


def configure(threads: int) -> None:
    """Set the pool size (before the first call; the settings' ``provider_threads``)."""
    _size[0] = max(1, threads)


def _executor() -> ThreadPoolExecutor:
    if not _pool:
        _pool.append(ThreadPoolExecutor(_size[0], thread_name_prefix="relaydesk-provider"))
    return _pool[0]


async def run_blocking(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run a blocking provider call in the provider threads (context variables kept)."""
    ctx = contextvars.copy_context()
    call = functools.partial(ctx.run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_executor(), call)
