"""The snapshot and conversation after a decision: loads, pointers, participants."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from relaydesk.routing.engine.model import (
    AgentStatus,
    Conversation,
    Decision,
    Snapshot,
)

_KEEP: Any = object()


def update_agent(
    snapshot: Snapshot,
    agent_id: str,
    *,
    status: AgentStatus | None = None,
    open_count: int | None = None,
    max_concurrent: int | None = _KEEP,
) -> Snapshot:
    """A copy of the snapshot with one agent's status / load / capacity changed."""
    i = snapshot._position[agent_id]
    agent = snapshot.agents[i]
    changed = replace(
        agent,
        status=agent.status if status is None else status,
        open_count=agent.open_count if open_count is None else open_count,
        max_concurrent=agent.max_concurrent if max_concurrent is _KEEP else max_concurrent,
    )
    agents = snapshot.agents[:i] + (changed,) + snapshot.agents[i + 1 :]
    return snapshot._derive(agents=agents)


def apply_decision(
    snapshot: Snapshot, decision: Decision, *, previous: Conversation | None = None
) -> Snapshot:
    """The snapshot after the decision: loads moved (from ``previous``'s assignee) and pointers."""
    counts: dict[str, int] = {}
    if previous is not None and previous.status == "open" and previous.assignee is not None:
        old = previous.assignee
        if old.type == "agent" and snapshot.agent(old.id) is not None:
            counts[old.id] = counts.get(old.id, 0) - 1
    new = decision.assignee
    if (
        decision.status == "open"
        and new is not None
        and new.type == "agent"
        and snapshot.agent(new.id) is not None
    ):
        counts[new.id] = counts.get(new.id, 0) + 1
    agents = snapshot.agents
    if any(counts.values()):
        changed = list(agents)
        for agent_id, delta in counts.items():
            i = snapshot._position[agent_id]
            agent = changed[i]
            changed[i] = replace(agent, open_count=max(0, agent.open_count + delta))
        agents = tuple(changed)
    pointers = snapshot.pointers
    if decision.pointer_updates:
        pointers = {**pointers, **decision.pointer_updates}
    if agents is snapshot.agents and pointers is snapshot.pointers:
        return snapshot
    return snapshot._derive(agents=agents, pointers=pointers)


def apply_to_conversation(conversation: Conversation, decision: Decision) -> Conversation:
    """The conversation after the decision (assignee, status, team; a human joins participants)."""
    participants = conversation.participants
    new = decision.assignee
    if new is not None and new.type == "agent" and new not in participants:
        participants = (*participants, new)
    return replace(
        conversation,
        assignee=new,
        status=decision.status,
        team_id=decision.team_id,
        participants=participants,
    )


def _released(snapshot: Snapshot, conversation: Conversation) -> Snapshot:
    """The snapshot without this conversation counted in its current assignee's load."""
    a = conversation.assignee
    if conversation.status != "open" or a is None or a.type != "agent":
        return snapshot
    agent = snapshot.agent(a.id)
    if agent is None or agent.open_count == 0:
        return snapshot
    return update_agent(snapshot, agent.id, open_count=agent.open_count - 1)
