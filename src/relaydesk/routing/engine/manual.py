"""Assignments by people: manual assignment (or a re-run of the rules), takeover, claim."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from relaydesk.routing.engine.model import (
    RULES,
    Conversation,
    Decision,
    Refused,
    Snapshot,
    Target,
    _human,
)
from relaydesk.routing.engine.rules import _to_target, route_new
from relaydesk.routing.engine.state import _released


def manual_assign(
    snapshot: Snapshot, conversation: Conversation, target: Target | Literal["rules"]
) -> Decision | Refused:
    """Admin/API assignment to an agent, team or AI agent, or a re-run of the rules."""
    if target == RULES:
        underlying = route_new(_released(snapshot, conversation), conversation)
        return replace(underlying, reason="manual", detail=underlying.reason)
    assert isinstance(target, Target)
    released = _released(snapshot, conversation)
    decided = _to_target(released, conversation, target, reason="manual", note=None)
    if decided is None:
        return Refused(code="unknown_team" if target.type == "team" else "unknown_assignee")
    if decided.queued:  # team with nobody eligible and no default agent
        return replace(decided, reason="manual")
    return decided


def takeover(snapshot: Snapshot, conversation: Conversation, agent_id: str) -> Decision | Refused:
    """An agent takes over a conversation assigned to an AI agent; otherwise 409."""
    if conversation.assignee is None or conversation.assignee.type != "ai_agent":
        return Refused(code="not_assigned_to_ai_agent")
    if snapshot.agent(agent_id) is None:
        return Refused(code="unknown_agent")
    return Decision(
        assignee=_human(agent_id), status="open", team_id=conversation.team_id, reason="takeover"
    )


def claim(snapshot: Snapshot, conversation: Conversation, agent_id: str) -> Decision | Refused:
    """An agent assigns an open (or waiting) conversation to themselves."""
    if conversation.status not in ("open", "waiting"):
        return Refused(code="conversation_not_open")
    if snapshot.agent(agent_id) is None:
        return Refused(code="unknown_agent")
    return Decision(
        assignee=_human(agent_id), status="open", team_id=conversation.team_id, reason="claim"
    )
