from __future__ import annotations

from pydantic import Field

from relaydesk.schemas import BusinessHours, Id, In, Name, Out, Timestamp


class TeamCreate(In):
    name: Name
    member_ids: list[Id] = Field(default_factory=list, max_length=1000)
    #: the team's own hours (its conversations follow them); null: the app's
    business_hours: BusinessHours | None = None


class TeamUpdate(In):
    name: Name | None = None
    member_ids: list[Id] | None = Field(default=None, max_length=1000)
    business_hours: BusinessHours | None = None  # given as null: back to the app's hours


class TeamOut(Out):
    id: str
    name: str
    member_ids: list[str]
    business_hours: BusinessHours | None = None
    created_at: Timestamp
