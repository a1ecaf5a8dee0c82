from __future__ import annotations

from pydantic import Field

from relaydesk.schemas import In, Name, Out, Timestamp


class AppCreate(In):
    name: Name


class AppCreated(Out):
    id: str
    name: str
    api_key: str


class AppOut(Out):
    id: str
    name: str
    require_user_hash: bool
    has_verification_secret: bool = False  # the secret itself is never returned
    created_at: Timestamp


class AppUpdate(In):
    name: Name | None = None
    require_user_hash: bool | None = None
    verification_secret: str | None = Field(default=None, min_length=16, max_length=200)


class ApiKeyCreate(In):
    name: Name = "default"


class ApiKeyOut(Out):
    id: str
    name: str
    prefix: str
    created_at: Timestamp


class ApiKeyCreated(ApiKeyOut):
    key: str
