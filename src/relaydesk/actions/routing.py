"""Routing changes: the conversation rules, manual assignment, takeover and claim, and a
contact's request for a human."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.actions.follow import start_ai_turns
from relaydesk.audit import service as audit
from relaydesk.audit.schemas import Actor
from relaydesk.auth.principal import Principal
from relaydesk.conversations import service as conversations
from relaydesk.conversations.models import Conversation
from relaydesk.conversations.schemas import ConversationOut
from relaydesk.errors import Invalid
from relaydesk.events import Broker, commit
from relaydesk.routing import engine
from relaydesk.routing import service as routing
from relaydesk.routing.models import RoutingSettings
from relaydesk.routing.schemas import RoutingIn
from relaydesk.routing.snapshot import lock_settings


async def replace_rules(
    session: AsyncSession, broker: Broker, *, app_id: str, body: RoutingIn, actor: Actor
) -> RoutingSettings:
    """Replace the app's conversation rules (422 for unknown ids and an empty AI selection)."""
    # lock first: an agent / team / AI agent deleted meanwhile cannot slip into the rules
    row = await lock_settings(session, app_id=app_id)
    await routing.validate_rules(session, app_id=app_id, body=body)
    before = audit.view(routing.out(row))
    routing.set_rules(row, body)
    await session.flush()
    # new hours, a new outside_hours or new rules may let waiting conversations go now
    await start_ai_turns(session, await routing.dequeue_waiting(session, app_id=app_id))
    changes = audit.diff(before, audit.view(routing.out(row)))
    if changes:
        audit.record(
            session,
            app_id=app_id,
            actor=actor,
            action="routing.update",
            target_type="routing",
            target_id=None,
            changes=changes,
        )
    await commit(session, broker)
    return row


async def locked_conversation(
    session: AsyncSession, principal: Principal, conversation_id: str
) -> Conversation:
    """The conversation, locked, after the app's routing row.

    Lock order: routing settings first, then conversations. Routing locks conversations
    (the queue, an offline agent's conversations) while it holds the settings row, so taking
    the conversation first here could deadlock against it on PostgreSQL.
    """
    await lock_settings(session, app_id=principal.app_id or "")
    return await conversations.get_visible(
        session, principal=principal, conversation_id=conversation_id, for_update=True
    )


async def assign(
    session: AsyncSession,
    broker: Broker,
    *,
    principal: Principal,
    conversation_id: str,
    target: dict[str, Any],
) -> ConversationOut:
    """Assign to an agent, a team or an AI agent, or re-run the rules (reason ``manual``)."""
    conversation = await locked_conversation(session, principal, conversation_id)
    applied = await routing.assign(
        session, conversation=conversation, target=target, actor=principal.actor
    )
    return await _routed(session, broker, conversation, applied)


async def take(
    session: AsyncSession,
    broker: Broker,
    *,
    principal: Principal,
    conversation_id: str,
    agent_id: str | None,
    how: Literal["takeover", "claim"],
) -> ConversationOut:
    """An agent takes over from the AI agent, or claims an open conversation.

    Agents act for themselves (admins may name another agent); API keys name the agent.
    """
    conversation = await locked_conversation(session, principal, conversation_id)
    applied = await routing.take(
        session,
        conversation=conversation,
        agent_id=_acting_agent(principal, agent_id),
        actor=principal.actor,
        how=how,
    )
    return await _routed(session, broker, conversation, applied)


def _acting_agent(principal: Principal, agent_id: str | None) -> str:
    if principal.kind == "agent":
        if agent_id not in (None, principal.id) and not principal.is_admin:
            raise Invalid("An agent acts for themselves.", code="invalid_agent")
        return agent_id or principal.id or ""
    if not agent_id:
        raise Invalid("agent_id is required with an API key.", code="agent_id_required")
    return agent_id


async def request_handoff(
    session: AsyncSession, broker: Broker, *, principal: Principal, conversation_id: str
) -> tuple[ConversationOut, bool, int | None]:
    """A contact (or staff) asks for a human: the AI agent's conversation goes to the human
    rules. Returns the conversation, whether it changed hands, and its queue position."""
    conversation = await locked_conversation(session, principal, conversation_id)
    applied: list[routing.Applied] = []
    if conversation.assignee_type == "ai_agent" and conversation.assignee_id:
        applied = await routing.ai_handoff(
            session,
            conversation=conversation,
            ai_agent_id=conversation.assignee_id,
            request=engine.Handoff(assign_to=""),
            detail="contact_requested",
        )
    position = await routing.waiting_position(session, conversation=conversation)
    out = await _routed(session, broker, conversation, applied)
    return out, bool(applied), position


async def _routed(
    session: AsyncSession,
    broker: Broker,
    conversation: Conversation,
    applied: list[routing.Applied],
) -> ConversationOut:
    await start_ai_turns(session, applied)
    result = await conversations.out(session, conversation)
    await commit(session, broker)
    return result


async def dequeue_opened(session: AsyncSession, broker: Broker, *, app_id: str) -> int:
    """Assign what waits now that the desk (or a team) is open: oldest first, the usual
    rotation, under the app's lock (processes running it together assign each once)."""
    assigned = len(await routing.dequeue_waiting(session, app_id=app_id))
    if assigned:
        await commit(session, broker)
    else:
        await session.rollback()
    return assigned
