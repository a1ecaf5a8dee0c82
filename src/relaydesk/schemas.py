"""Schema pieces shared by several domains."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, PlainSerializer, StringConstraints


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


Timestamp = Annotated[datetime, PlainSerializer(_iso, return_type=str)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class In(BaseModel):
    """Request bodies: unknown fields are refused, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Ref(Out):
    type: str
    id: str | None = None


AgentStatus = Literal["online", "away", "offline"]
Role = Literal["agent", "admin"]
JsonObject = dict[str, Any]
