"""Conversations: create, read, list with filters and cursors, status changes."""

from __future__ import annotations

import base64
import binascii
import builtins
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, event, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from relaydesk.auth.principal import Principal
from relaydesk.contacts.models import Contact
from relaydesk.contacts.schemas import ContactBrief
from relaydesk.conversations.models import Assignment, Conversation, Participant
from relaydesk.conversations.schemas import AssignmentOut, ConversationOut
from relaydesk.db import new_id, utcnow
from relaydesk.errors import BadRequest, NotFound
from relaydesk.events import emit_about
from relaydesk.schemas import Ref

#: participants of the conversations this session created in its open transaction: nobody
#: else can add any before it commits, so they are known without a read (dropped at the end
#: of the transaction)
_NEW = "relaydesk.new_conversation_participants"


@event.listens_for(Session, "after_transaction_end")
def _forget_new(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_NEW, None)


def _new_participants(session: AsyncSession) -> dict[str, builtins.list[Ref]]:
    return session.info.get(_NEW) or {}


async def get(
    session: AsyncSession,
    *,
    app_id: str,
    conversation_id: str,
    contact_id: str | None = None,
    for_update: bool = False,
    with_contact: bool = False,
) -> Conversation:
    """The app's conversation (only the contact's own when ``contact_id`` is given), else 404.

    ``with_contact`` loads its contact in the same query (into the session's identity map).
    """
    query: Select[Conversation] | Select[Conversation, Contact] = select(Conversation)
    if with_contact:
        query = select(Conversation, Contact).join(Contact, Contact.id == Conversation.contact_id)
    query = query.where(Conversation.id == conversation_id, Conversation.app_id == app_id)
    if contact_id is not None:
        query = query.where(Conversation.contact_id == contact_id)
    if for_update:  # a locked read is a fresh one, even if the row was read before
        query = query.with_for_update(of=Conversation).execution_options(populate_existing=True)
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound("No such conversation.")
    if with_contact:  # the identity map holds objects weakly: keep the contact for the session
        session.info.setdefault("keep", []).append(row[1])
    return row[0]


async def get_visible(
    session: AsyncSession,
    *,
    principal: Principal,
    conversation_id: str,
    for_update: bool = False,
    with_contact: bool = False,
) -> Conversation:
    """The conversation if the caller may see it (contacts: only their own), else 404."""
    return await get(
        session,
        app_id=principal.app_id or "",
        conversation_id=conversation_id,
        contact_id=principal.own_contact_id,
        for_update=for_update,
        with_contact=with_contact,
    )


async def create(
    session: AsyncSession,
    *,
    app_id: str,
    contact: Contact,
    channel: str,
    title: str | None,
    metadata: dict[str, Any],
) -> Conversation:
    """A new open, unassigned conversation (routing runs next)."""
    now = utcnow()
    conversation = Conversation(
        id=new_id("conv"),
        app_id=app_id,
        contact_id=contact.id,
        channel=channel,
        title=title,
        status="open",
        metadata_=metadata,
        created_at=now,
        updated_at=now,
    )
    session.add(conversation)
    await session.flush()
    session.info.setdefault(_NEW, {})[conversation.id] = []
    return conversation


async def outs(
    session: AsyncSession, conversations: Sequence[Conversation]
) -> builtins.list[ConversationOut]:
    """API representations, loading contacts and participants in two queries."""
    if not conversations:
        return []
    ids = [c.id for c in conversations]
    if len(conversations) == 1:  # usually loaded already: the identity map answers
        only = await session.get(Contact, conversations[0].contact_id)
        contacts = {only.id: only} if only is not None else {}
    else:
        contacts = {
            c.id: c
            for c in await session.scalars(
                select(Contact).where(Contact.id.in_({c.contact_id for c in conversations}))
            )
        }
    new = _new_participants(session)
    parts: dict[str, builtins.list[Ref]] = {i: builtins.list(new.get(i, ())) for i in ids}
    unknown = [i for i in ids if i not in new]
    for p in (
        await session.scalars(
            select(Participant)
            .where(Participant.conversation_id.in_(unknown))
            .order_by(Participant.joined_at)
        )
        if unknown
        else ()
    ):
        parts[p.conversation_id].append(Ref(type=p.participant_type, id=p.participant_id))
    result = []
    for c in conversations:
        result.append(
            ConversationOut(
                id=c.id,
                status=c.status,
                channel=c.channel,
                title=c.title,
                contact=ContactBrief.model_validate(contacts[c.contact_id]),
                assignee=Ref(type=c.assignee_type, id=c.assignee_id) if c.assignee_type else None,
                team_id=c.team_id,
                participants=parts[c.id],
                metadata=c.metadata_ or {},
                created_at=c.created_at,
                updated_at=c.updated_at,
                last_message_at=c.last_message_at,
            )
        )
    return result


async def out(session: AsyncSession, conversation: Conversation) -> ConversationOut:
    return (await outs(session, [conversation]))[0]


def _matches(q: str) -> ColumnElement[bool]:
    """A conversation whose contact, title or messages contain ``q`` (LIKE-escaped)."""
    from relaydesk.messages.models import Message

    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"

    def like(column: Any) -> ColumnElement[bool]:
        return column.ilike(pattern, escape="\\")  # type: ignore[no-any-return]

    contact_hit = (
        select(Contact.id)
        .where(
            Contact.id == Conversation.contact_id,
            or_(like(Contact.name), like(Contact.email), like(Contact.external_id)),
        )
        .exists()
    )
    message_hit = (
        select(Message.seq)
        .where(Message.conversation_id == Conversation.id, like(Message.text))
        .exists()
    )
    return or_(contact_hit, like(Conversation.title), message_hit)


def _encode_cursor(c: Conversation) -> str:
    raw = f"{c.created_at.isoformat()}|{c.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, cid = raw.split("|", 1)
        return datetime.fromisoformat(at), cid
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadRequest("The cursor is not one this API gave out.", code="invalid_cursor") from exc


async def list(  # noqa: A001
    session: AsyncSession,
    *,
    app_id: str,
    contact_id: str | None = None,
    status: str | None = None,
    assignee_type: str | None = None,
    assignee_id: str | None = None,
    team_id: str | None = None,
    channel: str | None = None,
    q: str | None = None,
    limit: int = 25,
    cursor: str | None = None,
) -> tuple[builtins.list[Conversation], str | None]:
    """Newest first, with an opaque cursor for the next page.

    ``q`` finds text (case-insensitive) in the contact's name, email or external id, the
    title, or any message of the conversation.
    """
    query = select(Conversation).where(Conversation.app_id == app_id)
    if q:
        query = query.where(_matches(q))
    filters = {
        Conversation.contact_id: contact_id,
        Conversation.status: status,
        Conversation.assignee_type: assignee_type,
        Conversation.assignee_id: assignee_id,
        Conversation.team_id: team_id,
        Conversation.channel: channel,
    }
    if assignee_type == "none":
        filters.pop(Conversation.assignee_type)
        query = query.where(Conversation.assignee_type.is_(None))
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    if cursor:
        at, cid = _decode_cursor(cursor)
        query = query.where(
            or_(
                Conversation.created_at < at,
                and_(Conversation.created_at == at, Conversation.id < cid),
            )
        )
    rows = [
        *await session.scalars(
            query.order_by(Conversation.created_at.desc(), Conversation.id.desc()).limit(limit + 1)
        )
    ]
    next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def set_status(session: AsyncSession, *, conversation: Conversation, status: str) -> str:
    """Resolve, reopen or mark as spam; returns the previous status (routing reacts next)."""
    previous = conversation.status
    if previous == status:
        return previous
    conversation.status = status
    conversation.updated_at = utcnow()
    if status == "resolved":
        conversation.resolved_at = conversation.updated_at
    if status != "waiting":
        conversation.queued_at = None
    await session.flush()
    return previous


ANSWERED_BY = ("agent", "ai_agent")  #: who wrote last, in a conversation that was answered


def idle_answered(conversation: Conversation, *, idle_seconds: int) -> bool:
    """Open, answered (the last non-system message is an agent's or a bot's) and quiet for
    ``idle_seconds``: what auto-resolve closes."""
    if conversation.status != "open" or conversation.last_message_at is None:
        return False
    if conversation.last_sender_type not in ANSWERED_BY:  # the contact waits, or never wrote
        return False
    return conversation.last_message_at <= utcnow() - timedelta(seconds=idle_seconds)


async def idle_candidates(
    session: AsyncSession, *, app_id: str, idle_seconds: int, limit: int
) -> builtins.list[str]:
    """Ids of the app's conversations that ``idle_answered`` may pick, oldest first."""
    cutoff = utcnow() - timedelta(seconds=idle_seconds)
    rows = await session.scalars(
        select(Conversation.id)
        .where(
            Conversation.app_id == app_id,
            Conversation.status == "open",
            Conversation.last_message_at <= cutoff,
            Conversation.last_sender_type.in_(ANSWERED_BY),
        )
        .order_by(Conversation.last_message_at)
        .limit(limit)
    )
    return builtins.list(rows)


async def add_participant(
    session: AsyncSession, *, conversation_id: str, type_: str, id_: str
) -> None:
    """Remember that an agent or AI agent took part in the conversation."""
    known = _new_participants(session).get(conversation_id)
    ref = Ref(type=type_, id=id_)
    if known is not None:  # a conversation of this transaction: no read needed
        if ref in known:
            return
        known.append(ref)
    elif await session.get(Participant, (conversation_id, type_, id_)) is not None:
        return
    session.add(
        Participant(conversation_id=conversation_id, participant_type=type_, participant_id=id_)
    )
    await session.flush()


async def emit_updated(
    session: AsyncSession, conversation: Conversation, type_: str = "conversation.updated"
) -> None:
    """Tell clients about the conversation as it is now (after commit)."""
    data = (await out(session, conversation)).model_dump(mode="json")
    emit_about(session, conversation, type_, data)


async def assignments(
    session: AsyncSession, *, conversation_id: str
) -> builtins.list[AssignmentOut]:
    """The audit trail, oldest first."""
    rows = await session.scalars(
        select(Assignment)
        .where(Assignment.conversation_id == conversation_id)
        .order_by(Assignment.seq)
    )

    def ref(t: str | None, i: str | None) -> Ref | None:
        return Ref(type=t, id=i) if t else None

    return [
        AssignmentOut(
            at=a.at,
            from_=ref(a.from_type, a.from_id),
            to=ref(a.to_type, a.to_id),
            team_id=a.team_id,
            reason=a.reason,
            detail=a.detail,
            actor=ref(a.actor_type, a.actor_id),
        )
        for a in rows
    ]
