from __future__ import annotations

from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints

from relaydesk.schemas import NOT_BLANK, STRIP, In, JsonObject, Out, Timestamp

ExternalId = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=NOT_BLANK), STRIP
]
#: a BCP 47 tag; 35 characters, as the columns hold (RFC 5646 §4.4.1)
Language = Annotated[
    str,
    StringConstraints(max_length=35, pattern=r"^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*$"),
    STRIP,
]
OptName = Annotated[str, StringConstraints(max_length=200), STRIP]


class ContactIn(In):
    external_id: ExternalId
    name: OptName | None = None
    email: EmailStr | None = None
    language: Language | None = None


class ContactUpdate(In):
    name: OptName | None = None
    email: EmailStr | None = None
    language: Language | None = None
    metadata: JsonObject | None = None


class ContactOut(Out):
    id: str
    external_id: str
    name: str | None
    email: str | None
    language: str | None
    metadata: JsonObject = Field(default_factory=dict, validation_alias="metadata_")
    created_at: Timestamp


class ContactBrief(Out):
    id: str
    external_id: str
    name: str | None
    email: str | None
    language: str | None


class WidgetSessionIn(In):
    app_id: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    #: absent: a new anonymous visitor with a server-assigned, unguessable id
    external_id: ExternalId | None = None
    name: OptName | None = None
    email: EmailStr | None = None
    language: Language | None = None
    user_hash: Annotated[str, StringConstraints(max_length=128)] | None = None


class WidgetSessionOut(Out):
    token: str
    contact: ContactOut
