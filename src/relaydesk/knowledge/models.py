"""Knowledge-base articles: what the LLM and built-in AI agents answer from.

Full-text search is the database's own: on PostgreSQL the ``search_vector`` column (a
``tsvector`` kept by a trigger, in the article's language, GIN-indexed); on SQLite an FTS5
table ``knowledge_fts`` kept by triggers (``search_vector`` stays empty there). Both are
created by migration 0010.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db import Base, JSONType, UTCDateTime, utcnow

#: a tsvector on PostgreSQL; an unused text column on SQLite (FTS5 holds its index)
SearchVector = Text().with_variant(postgresql.TSVECTOR(), "postgresql")


class Article(Base):
    __tablename__ = "knowledge_articles"
    __table_args__ = (
        Index("ix_knowledge_articles_app_created", "app_id", "created_at", "id"),
        Index("ix_knowledge_articles_search", "search_vector", postgresql_using="gin"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    language: Mapped[str] = mapped_column(String(35), default="en")
    search_vector: Mapped[str | None] = mapped_column(SearchVector, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
