"""Read marks: how far each reader has read a conversation."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.conversations.models import Conversation, ReadMark
from relaydesk.db import utcnow
from relaydesk.errors import NotFound
from relaydesk.events import emit_about


async def mark_read(
    session: AsyncSession,
    *,
    conversation: Conversation,
    reader_type: str,
    reader_id: str,
    message_id: str | None,
) -> ReadMark | None:
    """Move a reader's read mark forward (never back); publishes ``conversation.read``.

    Without ``message_id`` the latest message is meant. None when there is nothing to mark.
    """
    from relaydesk.messages.models import Message

    query = select(Message.seq, Message.id).where(Message.conversation_id == conversation.id)
    if message_id is not None:
        query = query.where(Message.id == message_id)
    row = (await session.execute(query.order_by(Message.seq.desc()).limit(1))).first()
    if row is None:
        if message_id is not None:
            raise NotFound("No such message in this conversation.", code="unknown_message")
        return None
    seq, read_id = row
    mark = await session.get(ReadMark, (conversation.id, reader_type, reader_id))
    if mark is not None and mark.message_seq >= seq:
        return mark
    now = utcnow()
    if mark is None:
        mark = ReadMark(
            conversation_id=conversation.id,
            reader_type=reader_type,
            reader_id=reader_id,
            message_seq=seq,
            message_id=read_id,
            read_at=now,
        )
        session.add(mark)
    else:
        mark.message_seq, mark.message_id, mark.read_at = seq, read_id, now
    await session.flush()
    emit_about(session, conversation, "conversation.read", read_out(mark))
    return mark


def read_out(mark: ReadMark) -> dict[str, Any]:
    return {
        "conversation_id": mark.conversation_id,
        "reader": {"type": mark.reader_type, "id": mark.reader_id},
        "message_id": mark.message_id,
        "read_at": mark.read_at.isoformat().replace("+00:00", "Z"),
    }


async def reads(session: AsyncSession, *, conversation_id: str) -> builtins.list[ReadMark]:
    rows = await session.scalars(
        select(ReadMark)
        .where(ReadMark.conversation_id == conversation_id)
        .order_by(ReadMark.read_at)
    )
    return [*rows]
