"""Per-app routing settings and rotation pointers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db import Base, JSONType, NullableJSON, UTCDateTime, utcnow


class RoutingSettings(Base):
    """One row per app; locked FOR UPDATE to serialize routing decisions of that app."""

    __tablename__ = "routing_settings"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    human_routing: Mapped[str] = mapped_column(String(20), default="automatic")
    default_agent_id: Mapped[str | None] = mapped_column(String(40))
    ai_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    ai_agent_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    channel_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    welcome_message: Mapped[str | None] = mapped_column(Text)
    away_message: Mapped[str | None] = mapped_column(Text)
    reassign_on_offline: Mapped[bool] = mapped_column(Boolean, default=False)
    #: {"idle_seconds", "message"?} or None (off)
    auto_resolve: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    #: {"enabled", "question"?} or None (off)
    csat: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    #: {"timezone", "weekly", "holidays"} or None (always open)
    business_hours: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    outside_hours: Mapped[str] = mapped_column(String(10), default="assign")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RotationPointer(Base):
    """The last id a rotation scope ("app", "team:<id>", "ai") gave a conversation to."""

    __tablename__ = "rotation_pointers"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_id: Mapped[str | None] = mapped_column(String(40))
