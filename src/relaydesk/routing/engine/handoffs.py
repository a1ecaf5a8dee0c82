"""Handoffs away from an AI agent, and re-routing when an agent goes offline."""

from __future__ import annotations

from collections.abc import Sequence

from relaydesk.routing.engine.model import (
    AIFailure,
    Assignee,
    Conversation,
    Decision,
    HandoffRequest,
    HangUp,
    NoChange,
    Reason,
    Snapshot,
    _human,
)
from relaydesk.routing.engine.rules import human_rules
from relaydesk.routing.engine.state import apply_decision


def handoff(
    snapshot: Snapshot,
    conversation: Conversation,
    request: HandoffRequest,
    *,
    ai_agent_id: str | None = None,
) -> Decision | NoChange:
    """Handoff from the assigned AI agent (§4): KM_ASSIGN_TO / KM_ASSIGN_TEAM, hang-up, error."""
    current = conversation.assignee
    if (
        current is None
        or current.type != "ai_agent"
        or (ai_agent_id is not None and current.id != ai_agent_id)
    ):
        return NoChange(why="ai_agent_not_assignee")
    if isinstance(request, (HangUp, AIFailure)):
        bot = snapshot.ai_agents.get(current.id)
        if bot is not None and not bot.auto_handoff:
            return NoChange(why="auto_handoff_off")
        reason: Reason = "ai_hangup" if isinstance(request, HangUp) else "ai_error"
        return human_rules(snapshot, conversation, reason=reason)

    team_note: str | None = None
    team_id: str | None = None
    if request.assign_team is not None:
        if request.assign_team in snapshot.teams:
            team_id = request.assign_team
        else:
            team_note = "unknown_team"

    to = request.assign_to
    if to is None:
        if team_id is not None:
            return human_rules(snapshot, conversation, reason="ai_handoff_team", team_id=team_id)
        return human_rules(snapshot, conversation, reason="ai_handoff", detail=team_note)
    if to == "":
        return human_rules(
            snapshot, conversation, reason="ai_handoff", team_id=team_id, detail=team_note
        )
    agent = snapshot.agent(to) or snapshot.agent_by_email(to)
    if agent is not None:
        return Decision(
            assignee=_human(agent.id),
            status="open",
            team_id=team_id if team_id is not None else conversation.team_id,
            reason="ai_handoff_agent",
            detail=team_note,
        )
    if to in snapshot.ai_agents:
        return Decision(
            assignee=Assignee(type="ai_agent", id=to),
            status="open",
            team_id=team_id if team_id is not None else conversation.team_id,
            reason="ai_handoff_ai_agent",
            detail=team_note,
            send_welcome=request.event is None,
            send_event=request.event,
        )
    return human_rules(
        snapshot, conversation, reason="ai_handoff", team_id=team_id, detail="unknown_assignee"
    )


def agent_offline(
    snapshot: Snapshot, conversations: Sequence[Conversation], agent_id: str
) -> list[tuple[str, Decision]] | NoChange:
    """Re-route the offline agent's open conversations through the human rules, excluding them."""
    if not snapshot.settings.reassign_on_offline:
        return NoChange(why="reassign_on_offline_off")
    out: list[tuple[str, Decision]] = []
    excluded = frozenset({agent_id})
    for conversation in conversations:
        a = conversation.assignee
        if conversation.status != "open" or a is None or a.type != "agent" or a.id != agent_id:
            continue
        decision = human_rules(snapshot, conversation, reason="agent_offline", exclude=excluded)
        out.append((conversation.id, decision))
        snapshot = apply_decision(snapshot, decision, previous=conversation)
    return out
