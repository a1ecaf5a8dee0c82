from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StringConstraints

from relaydesk.contacts.schemas import ContactBrief, ContactIn
from relaydesk.messages.schemas import MessageIn
from relaydesk.schemas import STRIP, Id, In, JsonObject, Out, Ref, Timestamp

Channel = Annotated[
    str,
    BeforeValidator(lambda v: v.strip().lower() if isinstance(v, str) else v),
    StringConstraints(pattern=r"^[a-z0-9_.-]{1,40}$"),
]
Title = Annotated[str, StringConstraints(max_length=500), STRIP]


class AssignTarget(In):
    type: Literal["agent", "team", "ai_agent"]
    id: Id


class AssignRequestTarget(In):
    type: Literal["agent", "team", "ai_agent", "rules"]
    id: Id | None = None


class ConversationCreate(In):
    contact: ContactIn | None = None
    channel: Channel = "web"
    title: Title | None = None
    metadata: JsonObject = Field(default_factory=dict)
    assign_to: AssignTarget | None = None
    message: MessageIn | None = None


class ConversationUpdate(In):
    status: Literal["open", "resolved", "spam"] | None = None
    title: Title | None = None


class AssignIn(In):
    assign_to: AssignRequestTarget


class TakeoverIn(In):
    agent_id: Id | None = None


class ConversationOut(Out):
    id: str
    status: str
    channel: str
    title: str | None
    contact: ContactBrief
    assignee: Ref | None
    team_id: str | None
    participants: list[Ref]
    metadata: JsonObject
    created_at: Timestamp
    updated_at: Timestamp
    last_message_at: Timestamp | None = None


class AssignmentOut(Out):
    at: Timestamp
    from_: Ref | None = Field(serialization_alias="from")
    to: Ref | None
    team_id: str | None
    reason: str
    detail: str | None
    actor: Ref | None


class ReadIn(In):
    message_id: Id | None = None  # default: the latest message
