"""Configuration of the Lex AI-agent kinds: the fields both share, then V2's and V1's."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_LOCALE = re.compile(r"^[a-z]{2,3}_[A-Z0-9]{2,3}$")


def _blank_is_none(v: Any) -> Any:
    """ "" (an empty form field) as None."""
    return None if isinstance(v, str) and not v.strip() else v


class _LexConfigBase(BaseModel):
    """Fields shared by both Lex kinds."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    access_key_id: str = Field(min_length=16, max_length=128, pattern=r"^\w+$")
    secret_access_key: str = Field(min_length=1, max_length=256, repr=False)
    region: str = Field(min_length=1, max_length=32)
    endpoint_url: str | None = None
    connect_timeout_s: float = Field(default=5.0, gt=0, le=60)
    read_timeout_s: float = Field(default=15.0, gt=0, le=120)

    @field_validator("endpoint_url", mode="before")
    @classmethod
    def _blank_endpoint(cls, v: Any) -> Any:
        """Forms send "" for unset optional fields."""
        return _blank_is_none(v)

    @field_validator("region")
    @classmethod
    def _region_shape(cls, v: str) -> str:
        """An AWS region name such as us-east-1."""
        if not _REGION.match(v):
            raise ValueError(f"not an AWS region name: {v!r}")
        return v

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint_shape(cls, v: str | None) -> str | None:
        """An http(s) URL."""
        if v is not None and not re.match(r"^https?://[^/\s]+", v):
            raise ValueError("endpoint_url must be an http(s) URL")
        return v.rstrip("/") if v else v


class LexV2Config(_LexConfigBase):
    """Configuration of a ``lex_v2`` AI agent."""

    bot_id: str | None = Field(default=None, pattern=r"^[0-9A-Za-z]{10}$")
    bot_name: str | None = Field(default=None, max_length=100)
    bot_alias_id: str | None = Field(default=None, pattern=r"^[0-9A-Za-z]{10}$")
    bot_alias: str | None = Field(default=None, max_length=100)
    locale: str = Field(default="en_US", pattern=_LOCALE.pattern)
    handoff_after_fallbacks: int | None = Field(default=None, ge=1, le=100)
    fallback_intents: list[str] = Field(default_factory=lambda: ["FallbackIntent"])

    @field_validator(
        "bot_id", "bot_name", "bot_alias_id", "bot_alias", "handoff_after_fallbacks", mode="before"
    )
    @classmethod
    def _blank_optional(cls, v: Any) -> Any:
        """Forms send "" for unset optional fields."""
        return _blank_is_none(v)

    @model_validator(mode="after")
    def _one_of_each(self) -> LexV2Config:
        """A bot (id or name) and an alias (id or name) are required."""
        if not (self.bot_id or self.bot_name):
            raise ValueError("bot_id or bot_name is required")
        if not (self.bot_alias_id or self.bot_alias):
            raise ValueError("bot_alias_id or bot_alias is required")
        return self


class LexV1Config(_LexConfigBase):
    """Configuration of a ``lex_v1`` AI agent."""

    bot_name: str = Field(min_length=2, max_length=50, pattern=r"^[A-Za-z_]+$")
    bot_alias: str = Field(min_length=1, max_length=100)
