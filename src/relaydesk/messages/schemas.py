from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, HttpUrl, StringConstraints, field_validator

from relaydesk.schemas import Id, In, JsonObject, Out, Ref, Timestamp


class SenderIn(In):
    type: Literal["contact", "agent"]
    id: Id | None = None


class AttachmentIn(In):
    url: HttpUrl
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    size: int = Field(ge=0, le=10**12)
    mime_type: Annotated[str, StringConstraints(pattern=r"^[\w.+-]+/[\w.+-]+$", max_length=120)]


class LocationIn(In):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class MessageIn(In):
    sender: SenderIn | None = None
    text: str | None = None
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)
    location: LocationIn | None = None
    metadata: JsonObject = Field(default_factory=dict)
    client_message_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None

    @field_validator("text")
    @classmethod
    def _blank_is_none(cls, v: str | None) -> str | None:
        return v if v is None or v.strip() else None


class SenderOut(Ref):
    name: str | None = None  # the sender's display name when the message was sent


class MessageOut(Out):
    id: str
    conversation_id: str
    sender: SenderOut
    text: str | None
    attachments: list[JsonObject]
    location: JsonObject | None
    metadata: JsonObject
    client_message_id: str | None = None
    created_at: Timestamp
