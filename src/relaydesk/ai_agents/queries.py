"""The bot-turn queue's two hot statements, built once (the claim and a turn's load), and
the :class:`Turn` a connector gets, built from the loaded rows."""

from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import BindParameter, Select, and_, bindparam, or_, select
from sqlalchemy.orm import aliased

from relaydesk.ai_agents.base import ContactInfo, Turn
from relaydesk.ai_agents.models import AIAgent, AIAgentSession, BotTurn
from relaydesk.contacts.models import Contact
from relaydesk.conversations.models import Conversation
from relaydesk.messages.models import Message


@functools.cache
def claim_statement(postgres: bool) -> Select[BotTurn]:
    """Due turns whose conversation has no earlier unfinished turn, oldest first.

    Built once: the claim runs after every enqueue and every finished turn, and building
    the statement each time cost more than running it.
    """
    earlier = aliased(BotTurn)
    blocked = (
        select(earlier.seq)
        .where(
            earlier.conversation_id == BotTurn.conversation_id,
            earlier.seq < BotTurn.seq,
            earlier.status.in_(("pending", "running")),
        )
        .exists()
    )
    now: BindParameter[datetime] = bindparam("now")
    query = (
        select(BotTurn)
        .where(
            or_(
                and_(BotTurn.status == "pending", BotTurn.next_attempt_at <= now),
                and_(BotTurn.status == "running", BotTurn.locked_until < now),
            ),
            ~blocked,
            # never re-claim a turn this worker is still running (its lease is being renewed)
            BotTurn.seq.not_in(bindparam("active", expanding=True)),
        )
        .order_by(BotTurn.seq)
        .limit(bindparam("slots"))
    )
    if postgres:
        query = query.with_for_update(skip_locked=True, of=BotTurn)
    return query


_Prepared = Select[BotTurn, Conversation, AIAgent, Contact, Message, AIAgentSession]


@functools.cache
def prepare_statement() -> _Prepared:
    """A turn with its conversation, AI agent, contact, message and connector state."""
    return (
        select(BotTurn, Conversation, AIAgent, Contact, Message, AIAgentSession)
        .outerjoin(Conversation, Conversation.id == BotTurn.conversation_id)
        .outerjoin(AIAgent, AIAgent.id == BotTurn.ai_agent_id)
        .outerjoin(Contact, Contact.id == Conversation.contact_id)
        .outerjoin(Message, Message.id == BotTurn.message_id)
        .outerjoin(
            AIAgentSession,
            and_(
                AIAgentSession.conversation_id == BotTurn.conversation_id,
                AIAgentSession.ai_agent_id == BotTurn.ai_agent_id,
            ),
        )
        .where(BotTurn.seq == bindparam("seq"))
    )


def turn_from_rows(
    row: BotTurn,
    conversation: Conversation,
    ai_agent: AIAgent,
    contact: Contact,
    message: Message | None,
    state_row: AIAgentSession | None,
) -> Turn:
    """What the connector is told about one turn."""
    metadata = dict(message.metadata_ or {}) if message else {}
    context = metadata.get("KM_CHAT_CONTEXT")
    event = row.event or {}
    return Turn(
        kind=row.kind,  # type: ignore[arg-type]
        app_id=conversation.app_id,
        conversation_id=conversation.id,
        ai_agent_id=ai_agent.id,
        language=contact.language or ai_agent.language,
        contact=ContactInfo(
            id=contact.id,
            external_id=contact.external_id,
            name=contact.name,
            email=contact.email,
        ),
        message_id=row.message_id,
        text=message.text if message else None,
        attachments=list(message.attachments or []) if message else [],
        location=message.location if message else None,
        event_name=event.get("name"),
        event_data=event.get("data"),
        metadata=metadata,
        chat_context=context if isinstance(context, dict) else {},
        state=dict(state_row.state) if state_row else {},
        turn_id=f"turn_{row.seq}",
    )
