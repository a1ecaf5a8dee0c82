"""``/api/v1/conversations`` and their messages."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.contacts import service as contacts
from relaydesk.conversations import service
from relaydesk.conversations.models import Conversation
from relaydesk.conversations.schemas import (
    AssignmentOut,
    ConversationCreate,
    ConversationOut,
    ConversationUpdate,
    ReadIn,
)
from relaydesk.deps import AppPrincipal, BrokerDep, Principal, SessionDep, SettingsDep, Staff
from relaydesk.errors import Forbidden, Invalid, NotFound
from relaydesk.events import Event, commit, emit
from relaydesk.messages import service as messages
from relaydesk.messages.schemas import MessageIn, MessageOut, SenderIn
from relaydesk.routing import service as routing
from relaydesk.schemas import Ref

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


async def visible_conversation(
    session: AsyncSession, principal: Principal, conversation_id: str, *, for_update: bool = False
) -> Conversation:
    """The conversation if the caller may see it (contacts: only their own), else 404."""
    conversation = await service.get(
        session,
        app_id=principal.app_id or "",
        conversation_id=conversation_id,
        for_update=for_update,
    )
    if principal.kind == "contact" and conversation.contact_id != principal.id:
        raise NotFound("No such conversation.")
    return conversation


def for_caller(principal: Principal, conversation: ConversationOut) -> ConversationOut:
    """Contacts see their conversation without internals (metadata, team, participants,
    who exactly is assigned), as on their WebSocket."""
    if principal.kind != "contact":
        return conversation
    assignee = Ref(type=conversation.assignee.type) if conversation.assignee else None
    return conversation.model_copy(
        update={"metadata": {}, "team_id": None, "participants": [], "assignee": assignee}
    )


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
    from relaydesk.agents import service as agents

    try:
        await agents.get(session, app_id=conversation.app_id, agent_id=body.sender.id)
    except NotFound as exc:
        raise Invalid("sender.id is not an agent of this app.", code="invalid_sender") from exc
    return "agent", body.sender.id


async def _post_message(
    session: AsyncSession,
    settings: SettingsDep,
    principal: Principal,
    conversation: Conversation,
    body: MessageIn,
) -> tuple[MessageOut, bool]:
    messages.validate(body, settings)
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
    return messages.out(message), created


@router.post("", status_code=201, response_model=ConversationOut)
async def create_conversation(
    body: ConversationCreate,
    session: SessionDep,
    settings: SettingsDep,
    principal: AppPrincipal,
    broker: BrokerDep,
) -> ConversationOut:
    """Start a conversation; routing runs before the answer, so it shows the assignee."""
    app_id = principal.app_id or ""
    if body.message is not None:
        messages.validate(body.message, settings)
    if principal.kind == "contact":
        assert principal.contact is not None
        if body.contact and body.contact.external_id != principal.contact.external_id:
            raise Invalid("A contact can only start its own conversations.", code="invalid_contact")
        if body.assign_to is not None:
            raise Invalid("A contact cannot choose the assignee.", code="invalid_assign_to")
        contact = await contacts.get(session, app_id=app_id, contact_id=principal.contact.id)
        if body.contact:
            contacts.update(contact, body.contact.model_dump(exclude={"external_id"}))
    else:
        if body.contact is None:
            raise Invalid("contact is required.", code="contact_required")
        contact = await contacts.upsert(session, app_id=app_id, **body.contact.model_dump())
    conversation = await service.create(
        session,
        app_id=app_id,
        contact=contact,
        channel=body.channel,
        title=body.title,
        metadata=body.metadata,
    )
    await service.emit_updated(session, conversation, "conversation.created")
    await routing.route_new(
        session,
        conversation=conversation,
        explicit=body.assign_to.model_dump() if body.assign_to else None,
        actor=principal.actor,
    )
    if body.message is not None:
        first = body.message
        if first.sender is None and principal.kind == "api_key":
            first = first.model_copy(update={"sender": SenderIn(type="contact")})
        await _post_message(session, settings, principal, conversation, first)
    result = for_caller(principal, await service.out(session, conversation))
    await commit(session, broker)
    return result


@router.get("")
async def list_conversations(
    session: SessionDep,
    principal: AppPrincipal,
    status: Literal["open", "waiting", "resolved", "spam"] | None = None,
    assignee_type: Literal["agent", "ai_agent", "none"] | None = Query(
        default=None, description='"none" lists conversations that have no assignee'
    ),
    assignee_id: str | None = Query(default=None, max_length=40),
    team_id: str | None = Query(default=None, max_length=40),
    channel: str | None = Query(default=None, max_length=40),
    q: str | None = Query(
        default=None,
        min_length=1,
        max_length=200,
        description="text in the contact's name, email or external id, the title, or a message",
    ),
    limit: int = Query(default=25, ge=1, le=100),
    cursor: str | None = Query(default=None, max_length=200),
) -> dict[str, object]:
    """Newest first; ``next_cursor`` fetches the next page."""
    rows, next_cursor = await service.list(
        session,
        app_id=principal.app_id or "",
        contact_id=principal.id if principal.kind == "contact" else None,
        status=status,
        assignee_type=assignee_type,
        assignee_id=assignee_id,
        team_id=team_id,
        channel=channel,
        q=q,
        limit=limit,
        cursor=cursor,
    )
    return {
        "items": [for_caller(principal, c) for c in await service.outs(session, rows)],
        "next_cursor": next_cursor,
    }


@router.get("/{conversation_id}", response_model=ConversationOut)
async def get_conversation(
    conversation_id: str, session: SessionDep, principal: AppPrincipal
) -> ConversationOut:
    conversation = await visible_conversation(session, principal, conversation_id)
    return for_caller(principal, await service.out(session, conversation))


@router.patch("/{conversation_id}", response_model=ConversationOut)
async def update_conversation(
    conversation_id: str,
    body: ConversationUpdate,
    session: SessionDep,
    principal: Staff,
    broker: BrokerDep,
) -> ConversationOut:
    """Change the title, resolve, reopen or mark as spam."""
    if body.status is not None:
        # a status change may route (dequeue, reopen): routing row before conversation row,
        # the order the routing service uses, or PostgreSQL may deadlock
        await routing.lock_settings(session, app_id=principal.app_id or "")
    conversation = await visible_conversation(session, principal, conversation_id, for_update=True)
    if body.title is not None:
        conversation.title = body.title
    if body.status is not None:
        target: str = body.status
        if target == "open" and conversation.status == "waiting":
            target = "waiting"  # still queued: reopening changes nothing
        await service.set_status(
            session, conversation=conversation, status=target, actor=principal.actor
        )
    await session.flush()
    await service.emit_updated(session, conversation)
    result = await service.out(session, conversation)
    await commit(session, broker)
    return result


@router.get("/{conversation_id}/assignments")
async def list_assignments(
    conversation_id: str, session: SessionDep, principal: Staff
) -> dict[str, list[AssignmentOut]]:
    """Why the conversation landed where it did: every change of assignee, oldest first."""
    conversation = await visible_conversation(session, principal, conversation_id)
    return {"items": await service.assignments(session, conversation_id=conversation.id)}


async def _locked_for_message(
    session: AsyncSession, principal: Principal, conversation_id: str
) -> Conversation:
    """The conversation locked for a new message, in the routing lock order.

    A contact's message into a resolved conversation reopens it through routing, which locks
    the app's routing row; the routing service takes that row before conversation rows, so
    here it must come first too (else PostgreSQL may deadlock). If the conversation was
    resolved, let the conversation lock go and start over in that order (rare: the usual
    message takes one locked read and no routing lock).
    """
    conversation = await visible_conversation(session, principal, conversation_id, for_update=True)
    if conversation.status == "resolved":
        app_id = conversation.app_id  # read before the rollback expires the row
        await session.rollback()  # nothing written yet: only the conversation lock is let go
        await routing.lock_settings(session, app_id=app_id)
        conversation = await visible_conversation(
            session, principal, conversation_id, for_update=True
        )
    return conversation


@router.post("/{conversation_id}/messages", status_code=201, response_model=MessageOut)
async def post_message(
    conversation_id: str,
    body: MessageIn,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    principal: AppPrincipal,
    broker: BrokerDep,
) -> MessageOut:
    """Store a message; a repeated ``client_message_id`` answers 200 with the first one."""
    conversation = await _locked_for_message(session, principal, conversation_id)
    result, created = await _post_message(session, settings, principal, conversation, body)
    if not created:
        response.status_code = 200
        return result
    await commit(session, broker)
    return result


@router.get("/{conversation_id}/messages")
async def list_messages(
    conversation_id: str,
    session: SessionDep,
    principal: AppPrincipal,
    after: str | None = Query(default=None, max_length=40),
    limit: int = Query(default=100, ge=1, le=500),
) -> dict[str, list[MessageOut]]:
    """Oldest first; ``after`` gives only the messages after that one (catch-up)."""
    conversation = await visible_conversation(session, principal, conversation_id)
    rows = await messages.list(session, conversation_id=conversation.id, after=after, limit=limit)
    return {"items": [messages.out(m) for m in rows]}


@router.post("/{conversation_id}/typing", status_code=204)
async def typing(
    conversation_id: str, session: SessionDep, principal: AppPrincipal, broker: BrokerDep
) -> Response:
    """Tell the other side that the caller is typing (not stored)."""
    conversation = await visible_conversation(session, principal, conversation_id)
    emit(
        session,
        Event(
            type="typing",
            app_id=conversation.app_id,
            conversation_id=conversation.id,
            contact_id=conversation.contact_id,
            data={
                "conversation_id": conversation.id,
                "sender": {"type": principal.kind, "id": principal.id},
            },
        ),
    )
    await commit(session, broker)
    return Response(status_code=204)


def _reader_view(principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """Contacts learn that an agent read, not which one."""
    if principal.kind == "contact" and data["reader"]["type"] != "contact":
        return {**data, "reader": {"type": data["reader"]["type"], "id": None}}
    return data


@router.post("/{conversation_id}/read")
async def mark_read(
    conversation_id: str,
    session: SessionDep,
    principal: AppPrincipal,
    broker: BrokerDep,
    body: ReadIn | None = None,
) -> dict[str, Any]:
    """The caller (contact or agent) has read up to a message (default: the latest)."""
    if principal.kind not in ("contact", "agent"):
        raise Forbidden("Read marks belong to contacts and agents.", code="reader_required")
    conversation = await visible_conversation(session, principal, conversation_id)
    mark = await service.mark_read(
        session,
        conversation=conversation,
        reader_type=principal.kind,
        reader_id=principal.id or "",
        message_id=body.message_id if body else None,
    )
    result = service.read_out(mark) if mark is not None else {"message_id": None}
    await commit(session, broker)
    return result


@router.get("/{conversation_id}/reads")
async def list_reads(
    conversation_id: str, session: SessionDep, principal: AppPrincipal
) -> dict[str, list[dict[str, Any]]]:
    """How far each reader has read (read receipts)."""
    conversation = await visible_conversation(session, principal, conversation_id)
    rows = await service.reads(session, conversation_id=conversation.id)
    return {"items": [_reader_view(principal, service.read_out(m)) for m in rows]}
