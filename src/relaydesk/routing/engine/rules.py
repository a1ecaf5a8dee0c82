"""The routing rules: new conversations, channel rules, the human rules, reopen, greeting."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Final, Literal, TypeAlias

from relaydesk.routing.engine.model import (
    AI_SCOPE,
    Assignee,
    Conversation,
    Decision,
    Greeting,
    Reason,
    Snapshot,
    Target,
    _human,
)
from relaydesk.routing.engine.rotation import next_ai_agent, round_robin

_How: TypeAlias = Literal[
    "participant", "team_round_robin", "round_robin", "default_agent", "queued", "notify"
]


@dataclass(frozen=True, slots=True)
class _Pick:
    agent_id: str | None
    how: _How
    cause: str | None = None
    pointer: tuple[str, str] | None = None  # (scope, agent id)


def _default_agent(snapshot: Snapshot, excluded: frozenset[str]) -> str | None:
    agent = snapshot.agent(snapshot.settings.default_agent_id)
    return None if agent is None or agent.id in excluded else agent.id


def _team_pick(snapshot: Snapshot, team_id: str, excluded: frozenset[str]) -> _Pick:
    if team_id in snapshot.closed_teams:  # nobody of a closed team is eligible
        waits = snapshot.settings.outside_hours == "queue"
        default = None if waits else _default_agent(snapshot, excluded)
        if default is not None:
            return _Pick(default, "default_agent", "outside_business_hours")
        return _Pick(None, "queued", "outside_business_hours")
    found = round_robin(snapshot, team_id=team_id, exclude=excluded)
    if found is not None:
        return _Pick(found[0], "team_round_robin", pointer=(found[1], found[0]))
    default = _default_agent(snapshot, excluded)
    if default is not None:
        return _Pick(default, "default_agent", "team_has_no_eligible_member")
    return _Pick(None, "queued", "team_has_no_eligible_member")


def _automatic_pick(snapshot: Snapshot, excluded: frozenset[str]) -> _Pick:
    found = round_robin(snapshot, exclude=excluded)
    if found is not None:
        return _Pick(found[0], "round_robin", pointer=(found[1], found[0]))
    if any(a.status == "online" and a.id not in excluded for a in snapshot.agents):
        return _Pick(None, "queued", "all_agents_at_capacity")
    default = _default_agent(snapshot, excluded)
    if default is not None:
        return _Pick(default, "default_agent", "no_agent_online")
    return _Pick(None, "queued", "no_agent_online")


def _notify_pick(snapshot: Snapshot, excluded: frozenset[str]) -> _Pick:
    default = _default_agent(snapshot, excluded)
    return _Pick(default, "notify", None if default is not None else "no_default_agent")


def _human_rules_pick(
    snapshot: Snapshot, team_id: str | None, conversation: Conversation, excluded: frozenset[str]
) -> _Pick:
    if team_id is not None and team_id in snapshot.teams:
        return _team_pick(snapshot, team_id, excluded)
    if snapshot.holding:
        return _Pick(None, "queued", "outside_hours")
    if snapshot.settings.human_routing == "notify_everybody":
        return _notify_pick(snapshot, excluded)
    for p in conversation.participants:
        if p.type == "agent" and p.id not in excluded:
            agent = snapshot.agent(p.id)
            if agent is not None and agent.eligible:
                return _Pick(agent.id, "participant")
    return _automatic_pick(snapshot, excluded)


_HOW_DETAIL: Final[dict[_How, str | None]] = {
    "participant": "participant",
    "team_round_robin": "team_round_robin",
    "round_robin": "round_robin",
    "default_agent": None,
    "queued": None,
    "notify": "notify_everybody",
}


def _decide(
    pick: _Pick,
    *,
    reason: Reason,
    team_id: str | None,
    detail: str | None,
) -> Decision:
    queued = pick.agent_id is None and pick.how == "queued"
    return Decision(
        assignee=None if pick.agent_id is None else _human(pick.agent_id),
        status="waiting" if queued else "open",
        team_id=team_id,
        reason=reason,
        detail=detail,
        pointer_updates={} if pick.pointer is None else {pick.pointer[0]: pick.pointer[1]},
        notify_everybody=pick.how == "notify",
    )


def _trigger_decision(
    pick: _Pick, *, reason: Reason, team_id: str | None, note: str | None
) -> Decision:
    """A decision whose reason is the trigger and whose detail says how the rules placed it."""
    detail = note if note is not None else (pick.cause or _HOW_DETAIL[pick.how])
    return _decide(pick, reason=reason, team_id=team_id, detail=detail)


def _new_conversation_decision(
    pick: _Pick, *, reason: Reason, team_id: str | None, note: str | None
) -> Decision:
    """§2 reasons: queued outcomes always carry reason ``queued``."""
    if pick.how == "queued":
        return _decide(pick, reason="queued", team_id=team_id, detail=note or pick.cause)
    return _decide(pick, reason=reason, team_id=team_id, detail=note or pick.cause)


def _to_target(
    snapshot: Snapshot,
    conversation: Conversation,
    target: Target,
    *,
    reason: Reason,
    note: str | None,
    excluded: frozenset[str] = frozenset(),
) -> Decision | None:
    """Assign to a named agent / team / AI agent; None when the target does not exist."""
    if target.type == "agent":
        if snapshot.agent(target.id) is None:
            return None
        return Decision(
            assignee=_human(target.id),
            status="open",
            team_id=conversation.team_id,
            reason=reason,
            detail=note,
        )
    if target.type == "ai_agent":
        if target.id not in snapshot.ai_agents:
            return None
        return Decision(
            assignee=Assignee(type="ai_agent", id=target.id),
            status="open",
            team_id=conversation.team_id,
            reason=reason,
            detail=note,
            send_welcome=True,
        )
    if target.id not in snapshot.teams:
        return None
    pick = _team_pick(snapshot, target.id, excluded)
    return _new_conversation_decision(pick, reason=reason, team_id=target.id, note=note)


def _unknown_note(target: Target) -> str:
    return "unknown_team" if target.type == "team" else "unknown_assignee"


def route_new(
    snapshot: Snapshot, conversation: Conversation, *, explicit: Target | None = None
) -> Decision:
    """Route a new conversation: explicit > channel rule > AI routing > human routing > queue."""
    note: str | None = None
    if explicit is not None:
        decided = _to_target(snapshot, conversation, explicit, reason="explicit", note=None)
        if decided is not None:
            return decided
        note = _unknown_note(explicit)
    rule = snapshot.settings.channel_rules.get(conversation.channel)
    if rule is not None:
        decided = _to_target(snapshot, conversation, rule, reason="channel_rule", note=note)
        if decided is not None:
            return decided
        note = note or _unknown_note(rule)
    if snapshot.settings.ai_enabled:
        ai_id = next_ai_agent(snapshot)
        if ai_id is not None:
            return Decision(
                assignee=Assignee(type="ai_agent", id=ai_id),
                status="open",
                team_id=conversation.team_id,
                reason="ai_routing",
                detail=note,
                pointer_updates={AI_SCOPE: ai_id},
                send_welcome=True,
            )
    if snapshot.holding:  # closed, and conversations for humans wait for the opening
        return Decision(
            assignee=None,
            status="waiting",
            team_id=conversation.team_id,
            reason="outside_hours",
            detail=note,
        )
    if snapshot.settings.human_routing == "notify_everybody":
        pick = _notify_pick(snapshot, frozenset())
        return _new_conversation_decision(
            pick, reason="notify_everybody", team_id=conversation.team_id, note=note
        )
    pick = _automatic_pick(snapshot, frozenset())
    reason: Reason = "round_robin" if pick.how == "round_robin" else "default_agent"
    return _new_conversation_decision(pick, reason=reason, team_id=conversation.team_id, note=note)


def human_rules(
    snapshot: Snapshot,
    conversation: Conversation,
    *,
    reason: Reason,
    team_id: str | None = None,
    detail: str | None = None,
    exclude: Iterable[str] = (),
) -> Decision:
    """The human rules after a handoff (§4): team RR, notify, or participant/RR/default/queue.

    ``team_id`` overrides the conversation's team; ``detail`` overrides the computed detail.
    """
    excluded = frozenset(exclude)
    team = team_id if team_id is not None else conversation.team_id
    pick = _human_rules_pick(snapshot, team, conversation, excluded)
    return _trigger_decision(pick, reason=reason, team_id=team, note=detail)


def reopen(snapshot: Snapshot, conversation: Conversation) -> Decision:
    """A contact writes into a resolved conversation: same assignee if eligible, else the rules."""
    current = conversation.assignee
    if current is not None:
        if current.type == "ai_agent" and current.id in snapshot.ai_agents:
            return Decision(
                assignee=current, status="open", team_id=conversation.team_id, reason="reopened"
            )
        agent = snapshot.agent(current.id) if current.type == "agent" else None
        if agent is not None and agent.eligible:
            return Decision(
                assignee=current, status="open", team_id=conversation.team_id, reason="reopened"
            )
        if current.type == "agent":
            return human_rules(snapshot, conversation, reason="reopened")
    underlying = route_new(snapshot, conversation)
    return replace(underlying, reason="reopened", detail=underlying.reason)


def greeting(snapshot: Snapshot, decision: Decision) -> Greeting:
    """Which greeting a new conversation gets (§3): AI welcome, app welcome or away message."""
    a = decision.assignee
    if a is not None and a.type == "ai_agent":
        return "ai_welcome"
    agent = snapshot.agent(a.id) if a is not None else None
    if snapshot.team_closed(decision.team_id):
        return "away_message"  # outside business hours
    return "welcome_message" if agent is not None and agent.status == "online" else "away_message"
