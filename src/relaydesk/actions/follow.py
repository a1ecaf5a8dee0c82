"""What routing decisions and contact messages set off: the AI agents' turns."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.ai_agents import jobs
from relaydesk.conversations.models import Conversation
from relaydesk.messages.models import Message
from relaydesk.routing.apply import Applied


async def start_ai_turns(session: AsyncSession, applied: list[Applied]) -> None:
    """Queue the turn each decision asks of its new AI agent (a named event, or the welcome)."""
    for conversation, decision in applied:
        new = decision.assignee
        if new is None or new.type != "ai_agent":
            continue
        event: dict[str, Any] | None = None
        if decision.send_event is not None:
            kind = "event"
            event = {"name": decision.send_event.name, "data": dict(decision.send_event.data or {})}
        elif decision.send_welcome:
            kind = "welcome"
        else:
            continue
        await jobs.enqueue(
            session,
            app_id=conversation.app_id,
            conversation_id=conversation.id,
            ai_agent_id=new.id,
            kind=kind,
            event=event,
        )


async def feed_ai_agent(
    session: AsyncSession, conversation: Conversation, message: Message
) -> None:
    """A contact's message into a conversation its AI agent holds becomes the bot's turn."""
    if conversation.status != "open" or conversation.assignee_type != "ai_agent":
        return
    media = bool(message.attachments or message.location) and not message.text
    await jobs.enqueue(
        session,
        app_id=conversation.app_id,
        conversation_id=conversation.id,
        ai_agent_id=conversation.assignee_id or "",
        kind="media" if media else "text",
        message_id=message.id,
    )
