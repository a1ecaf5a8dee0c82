"""Uploaded files (stored on local disk by default)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db import Base, UTCDateTime, utcnow


class Upload(Base):
    __tablename__ = "uploads"
    __table_args__ = (Index("ix_uploads_unattached", "attached_at", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    mime_type: Mapped[str] = mapped_column(String(120))
    storage_key: Mapped[str] = mapped_column(String(200))
    uploader_type: Mapped[str] = mapped_column(String(10))
    uploader_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when a message first carried the file; files never attached are swept after a while
    attached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
