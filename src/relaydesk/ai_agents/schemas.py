from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from relaydesk.contacts.schemas import Language
from relaydesk.schemas import In, Name, Out, Timestamp

Kind = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,20}$")]


class AIAgentCreate(In):
    name: Name
    kind: Kind
    config: dict[str, Any] = Field(default_factory=dict)
    auto_handoff: bool = True
    language: Language = "en-US"


class AIAgentUpdate(In):
    name: Name | None = None
    config: dict[str, Any] | None = None
    auto_handoff: bool | None = None
    language: Language | None = None


class AIAgentOut(Out):
    id: str
    name: str
    kind: str
    config: dict[str, Any]
    auto_handoff: bool
    language: str
    created_at: Timestamp
    updated_at: Timestamp
