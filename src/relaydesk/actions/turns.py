"""A bot turn's outcome: its reply posted and its handoff, hang-up or resolve applied, or the
failure handed to the humans (``ai_error``), each in the transaction that ends the turn.

The turn worker calls these with the turn's row locked and its lease checked, so a reply is
posted at most once (see docs/turn-queue.md).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.actions.conversations import set_status
from relaydesk.actions.follow import start_ai_turns
from relaydesk.ai_agents import service as ai_agents
from relaydesk.ai_agents.base import TurnResult, actions_from_messages
from relaydesk.ai_agents.models import BotTurn
from relaydesk.conversations import service as conversations
from relaydesk.conversations.models import Conversation
from relaydesk.db import utcnow
from relaydesk.events import Broker, commit
from relaydesk.messages import service as messages
from relaydesk.routing import engine
from relaydesk.routing import service as routing
from relaydesk.routing.snapshot import lock_settings
from relaydesk.teams import service as teams

log = logging.getLogger("relaydesk.ai_agents.worker")


async def finish_turn(
    session: AsyncSession,
    broker: Broker,
    *,
    row: BotTurn,
    state_before: dict[str, Any],
    bot_name: str,
    result: TurnResult,
) -> None:
    """Post the reply and apply its actions, unless the AI agent lost the conversation."""
    request, detail = _routing_request(result)
    if isinstance(request, engine.Handoff) and request.assign_team is not None:
        team_id = await teams.id_by_id_or_name(
            session, app_id=row.app_id, id_or_name=request.assign_team
        )
        request = replace(request, assign_team=team_id or request.assign_team)
    resolve = actions_from_messages(result.messages).resolve
    conversation = await _locked_conversation(session, row, routing_first=request is not None)
    row.status = "done"
    row.finished_at = utcnow()
    if result.usage:
        row.prompt_tokens = result.usage.get("prompt_tokens", 0)
        row.completion_tokens = result.usage.get("completion_tokens", 0)
    if conversation.assignee_type != "ai_agent" or conversation.assignee_id != row.ai_agent_id:
        log.warning(
            "turn %s: AI agent %s lost the assignment of %s; %d reply message(s) not posted",
            row.seq,
            row.ai_agent_id,
            conversation.id,
            len(result.messages),
        )
        row.last_error = "reply arrived after the AI agent lost the assignment"
        await commit(session, broker)
        return
    if result.state != state_before:  # most turns leave the connector's state alone
        await ai_agents.save_state(
            session,
            conversation_id=conversation.id,
            ai_agent_id=row.ai_agent_id,
            state=result.state,
        )
    for bot_message in result.messages:
        if bot_message.visible:
            await messages.create(
                session,
                conversation=conversation,
                sender_type="ai_agent",
                sender_id=row.ai_agent_id,
                sender_name=bot_name,
                text=bot_message.text,
                metadata=dict(bot_message.metadata),
            )
    if request is not None:
        applied = await routing.ai_handoff(
            session,
            conversation=conversation,
            ai_agent_id=row.ai_agent_id,
            request=request,
            detail=detail,
        )
        await start_ai_turns(session, applied)
    if resolve and conversation.status == "open":
        await set_status(
            session,
            conversation=conversation,
            status="resolved",
            actor=("ai_agent", row.ai_agent_id),
        )
        await conversations.emit_updated(session, conversation)
    await commit(session, broker)


def _routing_request(result: TurnResult) -> tuple[engine.HandoffRequest | None, str | None]:
    """The handoff the bot asked for (``KM_ASSIGN_*``, a native handoff, a hang-up)."""
    handoff = actions_from_messages(result.messages).handoff
    if handoff is not None:
        event = (
            engine.AIEvent(
                name=str(handoff.event.get("name")), data=handoff.event.get("data") or {}
            )
            if handoff.event and handoff.event.get("name")
            else None
        )
        return engine.Handoff(
            assign_to=handoff.assign_to, assign_team=handoff.team_id, event=event
        ), result.handoff_detail
    if result.human_handoff:
        return engine.Handoff(assign_to=""), "provider_handoff"
    if result.hangup:
        return engine.HangUp(detail=result.hangup_detail), result.hangup_detail
    return None, None


async def fail_turn(session: AsyncSession, broker: Broker, *, row: BotTurn, error: str) -> None:
    """The turn failed for good: hand the conversation to the humans (``ai_error``)."""
    row.status = "failed"
    row.finished_at = utcnow()
    conversation = await _locked_conversation(session, row, routing_first=True)
    if conversation.status == "open":
        applied = await routing.ai_handoff(
            session,
            conversation=conversation,
            ai_agent_id=row.ai_agent_id,
            request=engine.AIFailure(detail=error),
            detail=error,
        )
        await start_ai_turns(session, applied)
    await commit(session, broker)


async def _locked_conversation(
    session: AsyncSession, row: BotTurn, *, routing_first: bool
) -> Conversation:
    """The turn's conversation, locked; the app's routing row first when routing follows.

    Routing takes the routing-settings row before conversation rows everywhere; taking them
    in the other order here could deadlock with a takeover or an assignment.
    """
    if routing_first:
        await lock_settings(session, app_id=row.app_id)
    return await conversations.get(
        session, app_id=row.app_id, conversation_id=row.conversation_id, for_update=True
    )
