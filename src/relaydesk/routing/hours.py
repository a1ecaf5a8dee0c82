"""Business hours: a timezone, weekly opening intervals and holidays; open or closed at a
moment, and when that changes next. Pure (the standard library's zoneinfo does the
daylight-saving arithmetic)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: how far ahead the next opening or closing is looked for (holidays may run for months)
HORIZON_DAYS = 400


@dataclass(frozen=True)
class Hours:
    zone: ZoneInfo
    weekly: dict[int, list[tuple[time, time | None]]]  # weekday -> [(open, close)]; None = 24:00
    holidays: frozenset[date]

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Hours:
        """From the validated JSON form (``BusinessHours`` in routing/schemas.py)."""
        weekly: dict[int, list[tuple[time, time | None]]] = {}
        for item in raw.get("weekly") or []:
            close = None if item["close"] == "24:00" else time.fromisoformat(item["close"])
            weekly.setdefault(DAYS.index(item["day"]), []).append(
                (time.fromisoformat(item["open"]), close)
            )
        holidays = frozenset(date.fromisoformat(d) for d in raw.get("holidays") or [])
        return cls(zone=ZoneInfo(raw["timezone"]), weekly=weekly, holidays=holidays)

    def _intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's opening intervals as UTC instants (local wall times, DST applied)."""
        if day in self.holidays:
            return []
        out = []
        for opens, closes in self.weekly.get(day.weekday(), []):
            start = datetime.combine(day, opens, self.zone)
            end = (
                datetime.combine(day + timedelta(days=1), time(0), self.zone)
                if closes is None
                else datetime.combine(day, closes, self.zone)
            )
            out.append((start.astimezone(UTC), end.astimezone(UTC)))
        return sorted(out)

    def _merged(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Opening intervals from the day before ``at`` on, adjacent ones joined (a desk open
        until 24:00 and from 00:00 the next day does not close at midnight)."""
        day = at.astimezone(self.zone).date() - timedelta(days=1)
        current: tuple[datetime, datetime] | None = None
        for _ in range(HORIZON_DAYS):
            for start, end in self._intervals(day):
                if current is not None and start <= current[1]:
                    current = (current[0], max(current[1], end))
                    continue
                if current is not None:
                    yield current
                current = (start, end)
            day += timedelta(days=1)
        if current is not None:
            yield current

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` falls in an opening interval (of its local day, or one that began
        the day before); cheap: routing asks on every decision."""
        local = at.astimezone(self.zone).date()
        days = (local - timedelta(days=1), local)
        return any(start <= at < end for day in days for start, end in self._intervals(day))

    def next_change(self, at: datetime) -> tuple[datetime | None, datetime | None]:
        """(next opening, next closing) after ``at``; None when there is none ahead."""
        upcoming = (iv for iv in self._merged(at) if iv[1] > at)
        first = next(upcoming, None)
        if first is None:
            return None, None
        never = at + timedelta(days=HORIZON_DAYS - 2)  # open past the horizon: never closes
        close = None if first[1] >= never else first[1]
        if first[0] <= at:  # open now: it closes at the end of this stretch
            following = next(upcoming, None)
            return (following[0] if following else None), close
        return first[0], close


@lru_cache(maxsize=1024)
def _parsed(canonical: str) -> Hours:
    return Hours.parse(json.loads(canonical))


def hours_of(raw: dict[str, Any]) -> Hours:
    """The parsed hours (cached: routing reads them on every decision)."""
    return _parsed(json.dumps(raw, sort_keys=True))


def is_open(raw: dict[str, Any] | None, at: datetime) -> bool:
    """Open at ``at``; no hours (None) means always open."""
    return raw is None or hours_of(raw).is_open(at)
