"""AI agents, their per-conversation connector state, and the durable turn queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db import Base, BigIntPK, JSONType, UTCDateTime, utcnow


class AIAgent(Base):
    __tablename__ = "ai_agents"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # secrets removed
    secrets_enc: Mapped[str | None] = mapped_column(Text)  # Fernet token of the secret fields
    auto_handoff: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(35), default="en-US")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AIAgentSession(Base):
    """Connector state for one conversation (e.g. consecutive fallbacks)."""

    __tablename__ = "ai_agent_sessions"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    ai_agent_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class BotTurn(Base):
    """One turn for an AI agent, written in the transaction that caused it."""

    __tablename__ = "bot_turns"
    __table_args__ = (
        Index("ix_bot_turns_due", "status", "next_attempt_at"),
        Index("ix_bot_turns_conversation", "conversation_id", "seq"),
        Index("ix_bot_turns_ai_agent_finished", "ai_agent_id", "finished_at"),
    )

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    ai_agent_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))  # text | welcome | event | media
    message_id: Mapped[str | None] = mapped_column(String(40))
    event: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # {name, data}
    status: Mapped[str] = mapped_column(String(10), default="pending")
    # pending | running | done | failed | cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(60))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: tokens a language-model turn used (all its tool rounds); None for other kinds
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
