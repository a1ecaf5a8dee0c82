from __future__ import annotations

from pydantic import EmailStr, Field

from relaydesk.schemas import AgentStatus, In, Name, Out, Role, Timestamp

Password = str


class AgentCreate(In):
    email: EmailStr
    name: Name
    password: str | None = Field(default=None, min_length=8, max_length=200)
    role: Role = "agent"
    status: AgentStatus = "offline"
    max_concurrent: int | None = Field(default=None, ge=1, le=10_000)


class AgentUpdate(In):
    name: Name | None = None
    role: Role | None = None
    status: AgentStatus | None = None
    max_concurrent: int | None = Field(default=None, ge=1, le=10_000)
    password: str | None = Field(default=None, min_length=8, max_length=200)
    #: required when agents change their own password
    current_password: str | None = Field(default=None, min_length=1, max_length=200)


class StatusUpdate(In):
    status: AgentStatus


class AgentOut(Out):
    id: str
    email: str
    name: str
    role: str
    status: str
    max_concurrent: int | None
    created_at: Timestamp


class LoginIn(In):
    email: EmailStr
    password: str = Field(min_length=1, max_length=200)


class LoginOut(Out):
    token: str
    agent: AgentOut
