"""Fixed-window rate limits: in-process, or shared by every process through Redis.

Limits are written ``"<count>/<seconds>"`` (e.g. ``"20/60"``); ``"0/60"`` switches one off.
A request over its limit gets 429 ``rate_limited`` with a ``Retry-After`` header.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import Request

from relaydesk.errors import ApiError


class RateLimited(ApiError):
    status_code, code = 429, "rate_limited"


@dataclass(frozen=True)
class Rule:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rule:
        count, _, seconds = text.partition("/")
        return cls(int(count), int(seconds or 60))


class MemoryCounter:
    """Counts per (key, window) in this process; finished windows are forgotten.

    Each count keeps its own expiry (rules have windows of different lengths), and the
    table is swept at most once a second once it is large, not on every hit.
    """

    SWEEP_ABOVE = 50_000

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], list[float]] = {}  # [count, expires at]
        self._next_sweep = 0.0

    async def hit(self, key: str, window: int, ttl: int) -> int:
        now = time.monotonic()
        if len(self._counts) > self.SWEEP_ABOVE and now >= self._next_sweep:
            self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
            self._next_sweep = now + 1.0
        entry = self._counts.get((key, window))
        if entry is None:
            entry = self._counts[(key, window)] = [0, now + ttl]
        entry[0] += 1
        return int(entry[0])

    async def aclose(self) -> None: ...


class RedisCounter:
    """Counts per (key, window) in Redis, so every process shares the limit."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(url)

    async def hit(self, key: str, window: int, ttl: int) -> int:
        name = f"relaydesk:rl:{key}:{window}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, ttl)
            count, _ = await pipe.execute()
        return int(count)

    async def aclose(self) -> None:
        await self._redis.aclose()


class Limiter:
    """Applies named rules to keys."""

    def __init__(self, rules: dict[str, Rule], redis_url: str | None) -> None:
        self.rules = rules
        self.counter = RedisCounter(redis_url) if redis_url else MemoryCounter()

    async def check(self, rule_name: str, key: str) -> None:
        """Count one request for ``key``; 429 when the rule's count is exceeded."""
        rule = self.rules[rule_name]
        if rule.count <= 0:
            return
        now = time.time()
        window = int(now // rule.seconds)
        n = await self.counter.hit(f"{rule_name}:{key}", window, rule.seconds + 1)
        if n > rule.count:
            retry = max(1, int(rule.seconds - now % rule.seconds) + 1)
            raise RateLimited(
                f"Too many requests; try again in {retry} s.",
                details={"retry_after_s": retry},
                headers={"Retry-After": str(retry)},
            )


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
