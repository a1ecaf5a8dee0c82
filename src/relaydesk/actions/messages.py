"""Posting a message: stored first, then routing (a resolved conversation reopens) and the
AI agent's turn, then one commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.actions.follow import feed_ai_agent, start_ai_turns
from relaydesk.agents import service as agents
from relaydesk.auth.principal import Principal
from relaydesk.config import Settings
from relaydesk.conversations import service as conversations
from relaydesk.conversations.models import Conversation
from relaydesk.errors import Invalid, NotFound
from relaydesk.events import Broker, commit
from relaydesk.messages import service as messages
from relaydesk.messages.schemas import MessageIn, MessageOut
from relaydesk.routing import service as routing
from relaydesk.routing.snapshot import lock_settings
from relaydesk.uploads import service as uploads


async def post_message(
    session: AsyncSession,
    broker: Broker,
    *,
    settings: Settings,
    principal: Principal,
    conversation_id: str,
    body: MessageIn,
) -> tuple[MessageOut, bool]:
    """Store a message; (the message, False) for a repeated ``client_message_id``."""
    conversation = await _locked_for_message(session, principal, conversation_id)
    messages.validate(body, settings)
    result, created = await store_message(session, principal, conversation, body)
    if created:
        await commit(session, broker)
    return result, created


async def _locked_for_message(
    session: AsyncSession, principal: Principal, conversation_id: str
) -> Conversation:
    """The conversation locked for a new message, in the routing lock order.

    A contact's message into a resolved conversation reopens it through routing, which locks
    the app's routing row; routing takes that row before conversation rows, so here it must
    come first too (else PostgreSQL may deadlock). If the conversation was resolved, let the
    conversation lock go and start over in that order (rare: the usual message takes one
    locked read and no routing lock).
    """
    app_id = principal.app_id or ""

    async def locked() -> Conversation:
        return await conversations.get_visible(
            session,
            principal=principal,
            conversation_id=conversation_id,
            for_update=True,
            with_contact=True,  # the sender's name for a contact's message, without a query
        )

    conversation = await locked()
    if conversation.status == "resolved":
        await session.rollback()  # nothing written yet: only the conversation lock is let go
        await lock_settings(session, app_id=app_id)
        conversation = await locked()
    return conversation


async def store_message(
    session: AsyncSession, principal: Principal, conversation: Conversation, body: MessageIn
) -> tuple[MessageOut, bool]:
    """Store the message in the caller's transaction; a contact's reopens and feeds the bot."""
    sender_type, sender_id = await _resolve_sender(session, principal, conversation, body)
    message, created = await messages.create(
        session,
        conversation=conversation,
        sender_type=sender_type,
        sender_id=sender_id,
        text=body.text,
        attachments=[a.model_dump(mode="json") for a in body.attachments],
        location=body.location.model_dump() if body.location else None,
        metadata=body.metadata,
        client_message_id=body.client_message_id,
    )
    if created and body.attachments:
        urls = [str(a.url) for a in body.attachments]
        await uploads.mark_attached(session, app_id=conversation.app_id, urls=urls)
    if created and sender_type == "contact":
        await start_ai_turns(
            session, await routing.contact_wrote(session, conversation=conversation)
        )
        await feed_ai_agent(session, conversation, message)
    return messages.out(message), created


async def _resolve_sender(
    session: AsyncSession, principal: Principal, conversation: Conversation, body: MessageIn
) -> tuple[str, str | None]:
    """Who sends: the caller for agent/contact tokens; ``sender`` for API keys."""
    if principal.kind == "contact":
        if body.sender and body.sender.type != "contact":
            raise Invalid("A contact can only send as itself.", code="invalid_sender")
        return "contact", principal.id
    if principal.kind == "agent":
        if body.sender and (
            body.sender.type != "agent" or body.sender.id not in (None, principal.id)
        ):
            raise Invalid("An agent can only send as itself.", code="invalid_sender")
        return "agent", principal.id
    if body.sender is None:
        raise Invalid("sender is required with an API key.", code="sender_required")
    if body.sender.type == "contact":
        if body.sender.id not in (None, conversation.contact_id):
            raise Invalid("sender.id is not this conversation's contact.", code="invalid_sender")
        return "contact", conversation.contact_id
    if not body.sender.id:
        raise Invalid("sender.id is required for an agent.", code="invalid_sender")
    try:
        await agents.get(session, app_id=conversation.app_id, agent_id=body.sender.id)
    except NotFound as exc:
        raise Invalid("sender.id is not an agent of this app.", code="invalid_sender") from exc
    return "agent", body.sender.id
