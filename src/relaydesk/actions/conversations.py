"""Conversation changes: start one (routed before the answer), title and status, read marks,
typing."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.actions.follow import start_ai_turns
from relaydesk.actions.messages import store_message
from relaydesk.auth.principal import Principal
from relaydesk.config import Settings
from relaydesk.contacts import service as contacts
from relaydesk.contacts.models import Contact
from relaydesk.conversations import reads, service
from relaydesk.conversations.models import Conversation, ReadMark
from relaydesk.conversations.schemas import ConversationCreate, ConversationOut, ConversationUpdate
from relaydesk.errors import Invalid
from relaydesk.events import Broker, commit, emit_about
from relaydesk.messages import service as messages
from relaydesk.messages.schemas import SenderIn
from relaydesk.routing import service as routing
from relaydesk.routing.models import RoutingSettings
from relaydesk.routing.snapshot import lock_settings


async def create_conversation(
    session: AsyncSession,
    broker: Broker,
    *,
    settings: Settings,
    principal: Principal,
    body: ConversationCreate,
) -> ConversationOut:
    """Start a conversation: routed (and greeted) before the answer, then its first message."""
    if body.message is not None:
        messages.validate(body.message, settings)
    contact = await _contact_for(session, principal, body)
    conversation = await service.create(
        session,
        app_id=contact.app_id,
        contact=contact,
        channel=body.channel,
        title=body.title,
        metadata=body.metadata,
    )
    await service.emit_updated(session, conversation, "conversation.created")
    applied, greeting = await routing.route_new(
        session,
        conversation=conversation,
        explicit=body.assign_to.model_dump() if body.assign_to else None,
        actor=principal.actor,
    )
    await start_ai_turns(session, applied)
    if greeting is not None:  # before the first message is handled (routing.md §3)
        await messages.create(
            session,
            conversation=conversation,
            sender_type="system",
            sender_id=None,
            text=greeting.text,
            metadata={"relaydesk": greeting.kind},
        )
    if body.message is not None:
        first = body.message
        if first.sender is None and principal.kind == "api_key":
            first = first.model_copy(update={"sender": SenderIn(type="contact")})
        await store_message(session, principal, conversation, first)
    result = await service.out(session, conversation)
    await commit(session, broker)
    return result


async def _contact_for(
    session: AsyncSession, principal: Principal, body: ConversationCreate
) -> Contact:
    """A contact starts its own conversations; staff name the contact (created if new)."""
    app_id = principal.app_id or ""
    if principal.kind == "contact":
        assert principal.contact is not None
        if body.contact and body.contact.external_id != principal.contact.external_id:
            raise Invalid("A contact can only start its own conversations.", code="invalid_contact")
        if body.assign_to is not None:
            raise Invalid("A contact cannot choose the assignee.", code="invalid_assign_to")
        contact = await contacts.get(session, app_id=app_id, contact_id=principal.contact.id)
        if body.contact:
            contacts.update(contact, body.contact.model_dump(exclude={"external_id"}))
        return contact
    if body.contact is None:
        raise Invalid("contact is required.", code="contact_required")
    return await contacts.upsert(session, app_id=app_id, **body.contact.model_dump())


async def update_conversation(
    session: AsyncSession,
    broker: Broker,
    *,
    principal: Principal,
    conversation_id: str,
    body: ConversationUpdate,
) -> ConversationOut:
    """Change the title, resolve, reopen or mark as spam; routing frees capacity or re-routes."""
    app_id = principal.app_id or ""
    if body.status is not None:
        # a status change may route (dequeue, reopen): routing row before conversation row,
        # the order routing uses, or PostgreSQL may deadlock
        await lock_settings(session, app_id=app_id)
    conversation = await service.get_visible(
        session, principal=principal, conversation_id=conversation_id, for_update=True
    )
    if body.title is not None:
        conversation.title = body.title
    if body.status is not None:
        target: str = body.status
        if target == "open" and conversation.status == "waiting":
            target = "waiting"  # still queued: reopening changes nothing
        await set_status(session, conversation=conversation, status=target, actor=principal.actor)
    await session.flush()
    await service.emit_updated(session, conversation)
    result = await service.out(session, conversation)
    await commit(session, broker)
    return result


async def set_status(
    session: AsyncSession,
    *,
    conversation: Conversation,
    status: str,
    actor: tuple[str, str | None],
) -> None:
    """A status change and what routing does about it, in the caller's transaction."""
    previous = await service.set_status(session, conversation=conversation, status=status)
    if status == "resolved" and previous != "resolved":
        await _ask_for_rating(session, conversation)
    if previous != status:
        await start_ai_turns(
            session,
            await routing.status_changed(
                session, conversation=conversation, previous=previous, actor=actor
            ),
        )


async def _ask_for_rating(session: AsyncSession, conversation: Conversation) -> None:
    """With CSAT on, a resolved conversation asks its contact for a rating (the widget
    shows stars for a system message whose metadata type is ``csat_request``)."""
    rules = await session.get(RoutingSettings, conversation.app_id)
    if rules is None or not rules.csat:
        return
    await messages.create(
        session,
        conversation=conversation,
        sender_type="system",
        sender_id=None,
        text=rules.csat.get("question") or CSAT_QUESTION,
        metadata={"type": "csat_request"},
    )


CSAT_QUESTION = "How would you rate this conversation?"


async def auto_resolve(
    session: AsyncSession, broker: Broker, *, app_id: str, conversation_id: str
) -> bool:
    """Resolve a conversation that went quiet after its contact was answered (the routing
    settings' ``auto_resolve``), rechecked under the locks: several processes sweeping
    together resolve it once, and a contact who just wrote is never closed on."""
    rules = await lock_settings(session, app_id=app_id)
    conversation = await service.get(
        session, app_id=app_id, conversation_id=conversation_id, for_update=True
    )
    if not rules.auto_resolve or not service.idle_answered(
        conversation, idle_seconds=int(rules.auto_resolve["idle_seconds"])
    ):
        await session.rollback()
        return False
    if rules.auto_resolve.get("message"):
        await messages.create(
            session,
            conversation=conversation,
            sender_type="system",
            sender_id=None,
            text=rules.auto_resolve["message"],
            metadata={"relaydesk": "auto_resolve"},
        )
    await set_status(session, conversation=conversation, status="resolved", actor=("system", None))
    await service.emit_updated(session, conversation)
    await commit(session, broker)
    return True


async def mark_read(
    session: AsyncSession,
    broker: Broker,
    *,
    conversation: Conversation,
    reader_type: str,
    reader_id: str,
    message_id: str | None,
) -> ReadMark | None:
    """Move the reader's read mark forward; ``conversation.read`` reaches the other side."""
    mark = await reads.mark_read(
        session,
        conversation=conversation,
        reader_type=reader_type,
        reader_id=reader_id,
        message_id=message_id,
    )
    await commit(session, broker)
    return mark


async def send_typing(
    session: AsyncSession, broker: Broker, *, conversation: Conversation, principal: Principal
) -> None:
    """Tell the other side that the caller is typing (not stored)."""
    sender = {"type": principal.kind, "id": principal.id}
    emit_about(
        session, conversation, "typing", {"conversation_id": conversation.id, "sender": sender}
    )
    await commit(session, broker)
