"""Fair shares of a worker's slots between apps (tenants).

Bot turns and webhook deliveries are claimed from one queue per deployment, oldest first.
Without a cap, one app with a hanging bot or a slow receiver would fill every slot of
every process and all other apps would wait. Each worker therefore runs at most
``app_max`` items of one app at once (``RELAYDESK_WORKER_APP_MAX``): the claim reads more
candidates than it has free slots and skips those of apps at their share.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

#: how many candidates a claim reads per free slot (so capped apps do not use up the read)
OVERSAMPLE = 4


def fair_pick(
    candidates: Iterable[T],
    *,
    slots: int,
    running: Counter[str],
    app_max: int,
    app_of: Callable[[T], str],
) -> list[T]:
    """Up to ``slots`` candidates, in order, none taking an app past ``app_max`` running."""
    counts = Counter(running)
    chosen: list[T] = []
    for item in candidates:
        if len(chosen) >= slots:
            break
        app = app_of(item)
        if counts[app] >= app_max:
            continue
        counts[app] += 1
        chosen.append(item)
    return chosen
