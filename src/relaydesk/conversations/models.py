"""Conversations, their participants and the assignment audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db import Base, BigIntPK, JSONType, UTCDateTime, utcnow


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_app_created", "app_id", "created_at", "id"),
        Index("ix_conversations_app_status", "app_id", "status"),
        Index("ix_conversations_assignee", "app_id", "assignee_type", "assignee_id", "status"),
        Index("ix_conversations_idle", "app_id", "status", "last_message_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(40), default="web")
    title: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="open")
    assignee_type: Mapped[str | None] = mapped_column(String(10))  # agent | ai_agent
    assignee_id: Mapped[str | None] = mapped_column(String(40))
    team_id: Mapped[str | None] = mapped_column(String(40))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # set while waiting
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: who wrote last, system messages aside (contact | agent | ai_agent): auto-resolve
    #: never closes a conversation whose contact is waiting for an answer
    last_sender_type: Mapped[str | None] = mapped_column(String(10))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last resolution
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Participant(Base):
    __tablename__ = "conversation_participants"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    participant_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    participant_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assignment(Base):
    """One change of assignee (or queueing), with its reason: the audit trail."""

    __tablename__ = "assignments"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_type: Mapped[str | None] = mapped_column(String(10))
    from_id: Mapped[str | None] = mapped_column(String(40))
    to_type: Mapped[str | None] = mapped_column(String(10))
    to_id: Mapped[str | None] = mapped_column(String(40))
    team_id: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)
    actor_type: Mapped[str | None] = mapped_column(String(10))  # agent|ai_agent|api_key|system
    actor_id: Mapped[str | None] = mapped_column(String(40))


class ReadMark(Base):
    """How far one reader (the contact, an agent) has read a conversation."""

    __tablename__ = "conversation_reads"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    reader_type: Mapped[str] = mapped_column(String(10), primary_key=True)  # contact | agent
    reader_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    message_seq: Mapped[int] = mapped_column(BigIntPK)
    message_id: Mapped[str] = mapped_column(String(40))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
