"""``/api/v1/conversations`` and their messages."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response

from relaydesk.actions import conversations
from relaydesk.actions.messages import post_message as post
from relaydesk.conversations import reads, service
from relaydesk.conversations.schemas import (
    AssignmentOut,
    ConversationCreate,
    ConversationOut,
    ConversationUpdate,
    ReadIn,
)
from relaydesk.deps import AppPrincipal, BrokerDep, Principal, SessionDep, SettingsDep, Staff
from relaydesk.errors import Forbidden
from relaydesk.messages import service as messages
from relaydesk.messages.schemas import MessageIn, MessageOut
from relaydesk.schemas import Ref

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


def for_caller(principal: Principal, conversation: ConversationOut) -> ConversationOut:
    """Contacts see their conversation without internals (metadata, team, participants,
    who exactly is assigned), as on their WebSocket."""
    if principal.kind != "contact":
        return conversation
    assignee = Ref(type=conversation.assignee.type) if conversation.assignee else None
    return conversation.model_copy(
        update={"metadata": {}, "team_id": None, "participants": [], "assignee": assignee}
    )


@router.post("", status_code=201, response_model=ConversationOut)
async def create_conversation(
    body: ConversationCreate,
    session: SessionDep,
    settings: SettingsDep,
    principal: AppPrincipal,
    broker: BrokerDep,
) -> ConversationOut:
    """Start a conversation; routing runs before the answer, so it shows the assignee."""
    result = await conversations.create_conversation(
        session, broker, settings=settings, principal=principal, body=body
    )
    return for_caller(principal, result)


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
    conversation = await service.get_visible(
        session, principal=principal, conversation_id=conversation_id
    )
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
    return await conversations.update_conversation(
        session, broker, principal=principal, conversation_id=conversation_id, body=body
    )


@router.get("/{conversation_id}/assignments")
async def list_assignments(
    conversation_id: str, session: SessionDep, principal: Staff
) -> dict[str, list[AssignmentOut]]:
    """Why the conversation landed where it did: every change of assignee, oldest first."""
    conversation = await service.get_visible(
        session, principal=principal, conversation_id=conversation_id
    )
    return {"items": await service.assignments(session, conversation_id=conversation.id)}


@router.post(
    "/{conversation_id}/messages",
    status_code=201,
    response_model=MessageOut,
    responses={200: {"model": MessageOut, "description": "A repeated client_message_id"}},
)
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
    result, created = await post(
        session,
        broker,
        settings=settings,
        principal=principal,
        conversation_id=conversation_id,
        body=body,
    )
    if not created:
        response.status_code = 200
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
    conversation = await service.get_visible(
        session, principal=principal, conversation_id=conversation_id
    )
    rows = await messages.list(session, conversation_id=conversation.id, after=after, limit=limit)
    return {"items": [messages.out(m) for m in rows]}


@router.post("/{conversation_id}/typing", status_code=204)
async def typing(
    conversation_id: str, session: SessionDep, principal: AppPrincipal, broker: BrokerDep
) -> Response:
    """Tell the other side that the caller is typing (not stored)."""
    conversation = await service.get_visible(
        session, principal=principal, conversation_id=conversation_id
    )
    await conversations.send_typing(session, broker, conversation=conversation, principal=principal)
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
    conversation = await service.get_visible(
        session, principal=principal, conversation_id=conversation_id
    )
    mark = await conversations.mark_read(
        session,
        broker,
        conversation=conversation,
        reader_type=principal.kind,
        reader_id=principal.id or "",
        message_id=body.message_id if body else None,
    )
    return reads.read_out(mark) if mark is not None else {"message_id": None}


@router.get("/{conversation_id}/reads")
async def list_reads(
    conversation_id: str, session: SessionDep, principal: AppPrincipal
) -> dict[str, list[dict[str, Any]]]:
    """How far each reader has read (read receipts)."""
    conversation = await service.get_visible(
        session, principal=principal, conversation_id=conversation_id
    )
    rows = await reads.reads(session, conversation_id=conversation.id)
    return {"items": [_reader_view(principal, reads.read_out(m)) for m in rows]}
