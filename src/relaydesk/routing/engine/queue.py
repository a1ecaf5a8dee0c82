"""The queue: waiting conversations assigned oldest first while someone is eligible."""

from __future__ import annotations

from collections.abc import Sequence

from relaydesk.routing.engine.model import Conversation, Decision, Snapshot, _human
from relaydesk.routing.engine.rotation import round_robin
from relaydesk.routing.engine.state import apply_decision


def dequeue(snapshot: Snapshot, waiting: Sequence[Conversation]) -> list[tuple[str, Decision]]:
    """Assign waiting conversations (oldest first) while someone eligible remains; reason dequeued.

    A conversation with a known ``team_id`` only goes to an eligible member of that team;
    one that cannot be placed stays waiting and the next one is tried.
    """
    out: list[tuple[str, Decision]] = []
    for conversation in waiting:
        if not any(a.eligible for a in snapshot.agents):
            break
        if conversation.team_id in snapshot.closed_teams or (
            snapshot.holding and conversation.team_id not in snapshot.open_own_hours
        ):
            continue  # closed (its team, or the desk in "queue" mode): it waits for the opening
        team_id = conversation.team_id if conversation.team_id in snapshot.teams else None
        found = round_robin(snapshot, team_id=team_id)
        if found is None:
            continue
        agent_id, scope = found
        decision = Decision(
            assignee=_human(agent_id),
            status="open",
            team_id=conversation.team_id,
            reason="dequeued",
            pointer_updates={scope: agent_id},
        )
        out.append((conversation.id, decision))
        snapshot = apply_decision(snapshot, decision, previous=conversation)
    return out
