from __future__ import annotations

from pydantic import Field

from relaydesk.schemas import Id, In, Name, Out, Timestamp


class TeamCreate(In):
    name: Name
    member_ids: list[Id] = Field(default_factory=list, max_length=1000)


class TeamUpdate(In):
    name: Name | None = None
    member_ids: list[Id] | None = Field(default=None, max_length=1000)


class TeamOut(Out):
    id: str
    name: str
    member_ids: list[str]
    created_at: Timestamp
