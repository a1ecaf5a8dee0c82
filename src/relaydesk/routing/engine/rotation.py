"""Rotation: round robin over eligible agents and AI agents after the scope's pointer."""

from __future__ import annotations

from collections.abc import Iterable

from relaydesk.routing.engine.model import AI_SCOPE, APP_SCOPE, Snapshot, team_scope


def round_robin(
    snapshot: Snapshot, *, team_id: str | None = None, exclude: Iterable[str] = ()
) -> tuple[str, str] | None:
    """(agent id, scope) of the next eligible agent after the scope's pointer, or None."""
    scope = APP_SCOPE if team_id is None else team_scope(team_id)
    members: frozenset[str] | None = None
    if team_id is not None:
        team = snapshot.teams.get(team_id)
        if team is None or not team.member_ids:
            return None
        members = team.member_ids
    agents = snapshot.agents
    n = len(agents)
    if n == 0:
        return None
    excluded = exclude if isinstance(exclude, (set, frozenset)) else frozenset(exclude)
    # The pointer's place in the app's creation order; a deleted pointer agent restarts at 0.
    last = snapshot._position.get(snapshot.pointers.get(scope, ""), -1)
    start = last + 1
    for step in range(n):
        agent = agents[(start + step) % n]
        if (members is None or agent.id in members) and agent.eligible and agent.id not in excluded:
            return agent.id, scope
    return None


def next_ai_agent(snapshot: Snapshot) -> str | None:
    """The next selected AI agent after the "ai" pointer (unknown ids skipped), or None."""
    selected = [i for i in snapshot.settings.ai_agent_ids if i in snapshot.ai_agents]
    if not selected:
        return None
    last = snapshot.pointers.get(AI_SCOPE)
    start = selected.index(last) + 1 if last in selected else 0
    return selected[start % len(selected)]
