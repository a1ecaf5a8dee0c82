"""Knowledge-base articles: get, list, create, update, delete (search is ``search.py``)."""

from __future__ import annotations

import base64
import builtins
import json
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy import delete as sql_delete
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.db import new_id, utcnow
from relaydesk.errors import BadRequest, NotFound, PayloadTooLarge
from relaydesk.knowledge.models import Article
from relaydesk.knowledge.schemas import MAX_BODY_BYTES, ArticleOut


def check_body(body: str, *, where: str = "body") -> None:
    """413 for an article body over :data:`MAX_BODY_BYTES` (UTF-8)."""
    size = len(body.encode("utf-8", "surrogatepass"))
    if size > MAX_BODY_BYTES:
        raise PayloadTooLarge(
            f"{where} is {size} bytes; an article body is at most {MAX_BODY_BYTES} bytes.",
            code="article_too_large",
        )


async def get(session: AsyncSession, *, app_id: str, article_id: str) -> Article:
    article = await session.scalar(
        select(Article).where(Article.id == article_id, Article.app_id == app_id)
    )
    if article is None:
        raise NotFound("No such article.")
    return article


def _cursor(article: Article) -> str:
    raw = json.dumps([article.created_at.isoformat(), article.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _after(cursor: str) -> tuple[datetime, str]:
    try:
        at, article_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(at), str(article_id)
    except (ValueError, TypeError) as exc:
        raise BadRequest("The cursor is not one this API gave out.", code="invalid_cursor") from exc


async def list(  # noqa: A001 - the domain verb
    session: AsyncSession,
    *,
    app_id: str,
    tag: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[builtins.list[Article], str | None]:
    """Newest first, with an opaque cursor for the next page."""
    query = select(Article).where(Article.app_id == app_id)
    if cursor:
        at, article_id = _after(cursor)
        query = query.where(
            or_(Article.created_at < at, and_(Article.created_at == at, Article.id < article_id))
        )
    query = query.order_by(Article.created_at.desc(), Article.id.desc())
    if tag is None:
        rows = [*await session.scalars(query.limit(limit + 1))]
    else:  # tags are a JSON list: filtered here, portable across SQLite and PostgreSQL
        rows = []
        async for article in await session.stream_scalars(query):
            if tag in (article.tags or []):
                rows.append(article)
                if len(rows) > limit:
                    break
    more = len(rows) > limit
    return rows[:limit], _cursor(rows[limit - 1]) if more else None


async def create(
    session: AsyncSession,
    *,
    app_id: str,
    title: str,
    body: str,
    url: str | None = None,
    tags: builtins.list[str] | None = None,
    language: str = "en",
) -> Article:
    check_body(body)
    now = utcnow()
    article = Article(
        id=new_id("kb"),
        app_id=app_id,
        title=title,
        body=body,
        url=url or None,
        tags=builtins.list(tags or []),
        language=language,
        created_at=now,
        updated_at=now,
    )
    session.add(article)
    await session.flush()
    return article


async def update(session: AsyncSession, *, article: Article, changes: dict[str, Any]) -> Article:
    """Change the given fields (``url: null`` removes the link)."""
    if changes.get("body") is not None:
        check_body(changes["body"])
    for field in ("title", "body", "tags", "language"):
        if changes.get(field) is not None:
            setattr(article, field, changes[field])
    if "url" in changes:
        article.url = changes["url"] or None
    article.updated_at = utcnow()
    await session.flush()
    return article


async def delete(session: AsyncSession, *, article: Article) -> None:
    await session.execute(sql_delete(Article).where(Article.id == article.id))


def out(article: Article) -> ArticleOut:
    return ArticleOut.model_validate(article)
