"""Contacts' satisfaction ratings (CSAT): one per resolution of a conversation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db import Base, UTCDateTime, utcnow


class Rating(Base):
    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("conversation_id", "resolved_at", name="uq_ratings_resolution"),
        Index("ix_ratings_app_created", "app_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    #: the resolution rated (the conversation's resolved_at then); a reopened and resolved
    #: again conversation is rated anew
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    contact_id: Mapped[str] = mapped_column(String(40))
    agent_id: Mapped[str | None] = mapped_column(String(40))  # the human assignee, if any
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
