"""Schema pieces shared by several domains."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    StringConstraints,
    field_validator,
    model_validator,
)


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


Timestamp = Annotated[datetime, PlainSerializer(_iso, return_type=str)]

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339_only(value: Any) -> Any:
    if isinstance(value, str) and not _RFC3339.match(value):
        raise ValueError("a time like 2026-12-04T09:30:00Z (RFC 3339, with its offset)")
    return value


#: a time in a query: RFC 3339 with an offset, as documented (not a Unix timestamp)
QueryTime = Annotated[datetime, BeforeValidator(_rfc3339_only)]
#: strips the whitespace around a text *after* its limits are checked on it as sent, so the
#: OpenAPI document's maxLength / pattern hold for what clients send
STRIP = AfterValidator(str.strip)
#: something besides whitespace
NOT_BLANK = r"\S"
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NOT_BLANK), STRIP]
Id = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class In(BaseModel):
    """Request bodies: unknown fields are refused, so typos do not pass silently; values are
    not coerced (``0.0`` is no boolean, ``"5"`` no integer), as the OpenAPI document says;
    and no text may hold a NUL character (PostgreSQL cannot store one: 422, not a 500)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _holds_nul(data):
            raise ValueError("Text may not contain NUL (\\u0000) characters.")
        return data


def _holds_nul(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if depth > 64:  # deeper than any body we accept; the size limits bound the rest
        return False
    if isinstance(value, dict):
        return any(_holds_nul(k, depth + 1) or _holds_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(v, depth + 1) for v in value)
    return False


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Ref(Out):
    type: str
    id: str | None = None


AgentStatus = Literal["online", "away", "offline"]
Role = Literal["agent", "admin"]
JsonObject = dict[str, Any]

Clock = Annotated[str, StringConstraints(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class OpeningInterval(In):
    """One opening on a weekday, local time; ``close`` may be ``"24:00"``."""

    day: Weekday
    open: Clock
    close: Clock

    @model_validator(mode="after")
    def _ordered(self) -> OpeningInterval:
        if self.open == "24:00" or self.open >= self.close:
            raise ValueError(f"{self.day}: open ({self.open}) must be before close ({self.close})")
        return self


class BusinessHours(In):
    """When people answer: weekly intervals in a timezone, minus holidays (local dates)."""

    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    weekly: list[OpeningInterval] = Field(default_factory=list, max_length=100)
    #: "YYYY-MM-DD" strings (JSON has no dates: the one place strictness must give way)
    holidays: list[Annotated[date, Strict(False)]] = Field(default_factory=list, max_length=1000)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown timezone {value!r} (an IANA name like Europe/Berlin)"
            ) from exc
        return value
