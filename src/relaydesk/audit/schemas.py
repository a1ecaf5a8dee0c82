"""Who acted (passed to every audited action) and the audit log's API shapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from relaydesk.schemas import Out, Timestamp


@dataclass(frozen=True)
class Actor:
    """Who makes a change: an API key, an agent, or the system (CLI, demo seed)."""

    type: str
    id: str | None = None
    name: str | None = None
    ip: str | None = None


class ActorOut(Out):
    type: str
    id: str | None = None
    name: str | None = None


class TargetOut(Out):
    type: str
    id: str | None = None
    name: str | None = None


class AuditEntryOut(Out):
    id: str
    at: Timestamp
    actor: ActorOut
    ip: str | None = None
    action: str
    target: TargetOut
    #: field → {"from", "to"} (dotted names inside objects; secrets shown as "****")
    changes: dict[str, Any]
