"""Messages: validation, idempotent creation, listing."""

from __future__ import annotations

import builtins
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.config import Settings
from relaydesk.conversations.models import Conversation
from relaydesk.conversations.service import add_participant
from relaydesk.db import new_id, utcnow
from relaydesk.errors import Invalid, NotFound
from relaydesk.events import emit_about
from relaydesk.messages.models import Message
from relaydesk.messages.schemas import MessageIn, MessageOut, SenderOut


def out(message: Message) -> MessageOut:
    return MessageOut(
        id=message.id,
        conversation_id=message.conversation_id,
        sender=SenderOut(type=message.sender_type, id=message.sender_id, name=message.sender_name),
        text=message.text,
        attachments=message.attachments or [],
        location=message.location,
        metadata=message.metadata_ or {},
        client_message_id=message.client_message_id,
        created_at=message.created_at,
    )


def validate(body: MessageIn, settings: Settings) -> None:
    """Limits that depend on the settings (422 beyond them)."""
    if body.text is not None and len(body.text) > settings.max_text_chars:
        raise Invalid(
            f"text is longer than {settings.max_text_chars} characters.", code="text_too_long"
        )
    if body.metadata and len(json.dumps(body.metadata)) > settings.max_metadata_bytes:
        raise Invalid(
            f"metadata is larger than {settings.max_metadata_bytes} bytes.",
            code="metadata_too_large",
        )
    if not (body.text or body.attachments or body.location or body.metadata):
        raise Invalid(
            "A message needs text, attachments, a location or metadata.", code="empty_message"
        )


async def get(session: AsyncSession, *, conversation_id: str, message_id: str) -> Message:
    message = await session.scalar(
        select(Message).where(Message.id == message_id, Message.conversation_id == conversation_id)
    )
    if message is None:
        raise NotFound("No such message.")
    return message


async def create(
    session: AsyncSession,
    *,
    conversation: Conversation,
    sender_type: str,
    sender_id: str | None,
    text: str | None = None,
    attachments: builtins.list[dict[str, Any]] | None = None,
    location: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    client_message_id: str | None = None,
    sender_name: str | None = None,
) -> tuple[Message, bool]:
    """Store a message (or find the earlier one with the same client_message_id).

    Returns (message, created). Emits ``message.created``.
    """
    if client_message_id:
        earlier = await session.scalar(
            select(Message).where(
                Message.conversation_id == conversation.id,
                Message.client_message_id == client_message_id,
            )
        )
        if earlier is not None:
            return earlier, False
    now = utcnow()
    if sender_name is None:
        sender_name = await _display_name(session, sender_type, sender_id)
    message = Message(
        id=new_id("msg"),
        app_id=conversation.app_id,
        conversation_id=conversation.id,
        sender_type=sender_type,
        sender_id=sender_id,
        sender_name=sender_name,
        text=text,
        attachments=attachments or [],
        location=location,
        metadata_=metadata or {},
        client_message_id=client_message_id,
        created_at=now,
    )
    if client_message_id is None:  # nothing unique can collide: no savepoint needed
        session.add(message)
    else:
        try:
            async with session.begin_nested():
                session.add(message)
        except IntegrityError:  # the same client_message_id, concurrently
            earlier = await session.scalar(
                select(Message).where(
                    Message.conversation_id == conversation.id,
                    Message.client_message_id == client_message_id,
                )
            )
            if earlier is None:
                raise
            return earlier, False
    conversation.last_message_at = now
    conversation.updated_at = now
    if sender_type != "system":
        conversation.last_sender_type = sender_type
    if sender_type in ("agent", "ai_agent") and sender_id:
        await add_participant(
            session, conversation_id=conversation.id, type_=sender_type, id_=sender_id
        )
    await session.flush()
    emit_about(session, conversation, "message.created", out(message).model_dump(mode="json"))
    return message, True


async def _display_name(
    session: AsyncSession, sender_type: str, sender_id: str | None
) -> str | None:
    """The name contacts and agents see beside a message (from the identity map if loaded)."""
    from relaydesk.agents.models import Agent
    from relaydesk.ai_agents.models import AIAgent
    from relaydesk.contacts.models import Contact

    model = {"agent": Agent, "ai_agent": AIAgent, "contact": Contact}.get(sender_type)
    if model is None or sender_id is None:
        return None
    row = await session.get(model, sender_id)
    return getattr(row, "name", None) if row is not None else None


async def list(  # noqa: A001
    session: AsyncSession, *, conversation_id: str, after: str | None, limit: int
) -> builtins.list[Message]:
    """Messages oldest first, optionally only those after a given message."""
    query = select(Message).where(Message.conversation_id == conversation_id)
    if after:
        seq = await session.scalar(
            select(Message.seq).where(
                Message.id == after, Message.conversation_id == conversation_id
            )
        )
        if seq is None:
            raise NotFound("No such message to list after.", code="unknown_after")
        query = query.where(Message.seq > seq)
    rows = await session.scalars(query.order_by(Message.seq).limit(limit))
    return [*rows]
