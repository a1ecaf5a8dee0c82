from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from relaydesk.browser import normalise_origin
from relaydesk.schemas import In, Name, Out, Timestamp

#: ``scheme://host[:port]``: stored lower case, without a default port
Origin = Annotated[
    str, StringConstraints(min_length=1, max_length=300), AfterValidator(normalise_origin)
]
AllowedOrigins = Annotated[list[Origin], Field(max_length=100)]


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
    allowed_origins: list[str] | None = Field(
        default=None,
        description="The websites (origins) the widget may call the API from; null: any.",
    )
    created_at: Timestamp


class AppUpdate(In):
    name: Name | None = None
    require_user_hash: bool | None = None
    verification_secret: str | None = Field(default=None, min_length=16, max_length=200)
    allowed_origins: AllowedOrigins | None = Field(
        default=None,
        description=(
            "Origins (scheme://host[:port], no path) whose pages may run the widget; "
            "null or [] lets any website."
        ),
    )


class ApiKeyCreate(In):
    name: Name = "default"


class ApiKeyOut(Out):
    id: str
    name: str
    prefix: str
    created_at: Timestamp


class ApiKeyCreated(ApiKeyOut):
    key: str
