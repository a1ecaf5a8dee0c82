"""Request and response bodies of ``/api/v1/knowledge``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: an article's body may be this long (in UTF-8 bytes); longer is refused with 413
MAX_BODY_BYTES = 200 * 1024
MAX_TAGS = 50


def _clean_tags(tags: list[str] | None) -> list[str] | None:
    if tags is None:
        return None
    seen: dict[str, None] = {}
    for tag in tags:
        t = tag.strip()
        if t:
            seen.setdefault(t, None)
    return list(seen)


class ArticleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    body: str = Field(min_length=1)
    url: str | None = Field(default=None, max_length=2000)
    tags: list[str] = Field(default_factory=list, max_length=MAX_TAGS)
    language: str = Field(default="en", min_length=2, max_length=35, pattern=r"^[A-Za-z0-9_-]+$")

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        for tag in v:
            if len(tag) > 100:
                raise ValueError("a tag is at most 100 characters")
        return _clean_tags(v) or []

    @field_validator("title")
    @classmethod
    def _title(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("title must not be blank")
        return v.strip()


class ArticleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=500)
    body: str | None = Field(default=None, min_length=1)
    url: str | None = Field(default=None, max_length=2000)
    tags: list[str] | None = Field(default=None, max_length=MAX_TAGS)
    language: str | None = Field(
        default=None, min_length=2, max_length=35, pattern=r"^[A-Za-z0-9_-]+$"
    )

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str] | None) -> list[str] | None:
        for tag in v or []:
            if len(tag) > 100:
                raise ValueError("a tag is at most 100 characters")
        return _clean_tags(v)

    @field_validator("title")
    @classmethod
    def _title(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("title must not be blank")
        return v.strip() if v is not None else None


class ArticleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    body: str
    url: str | None
    tags: list[str]
    language: str
    created_at: datetime
    updated_at: datetime


class ArticlePage(BaseModel):
    items: list[ArticleOut]
    next_cursor: str | None


class SearchHit(BaseModel):
    id: str
    title: str
    url: str | None
    snippet: str
    score: float


class SearchResults(BaseModel):
    items: list[SearchHit]


class ImportResult(BaseModel):
    imported: int
    items: list[ArticleOut]
