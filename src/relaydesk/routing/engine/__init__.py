"""The pure routing engine of ``routing.md``: a snapshot goes in, a decision comes out.

Nothing here does I/O. The routing service locks the app's routing row, loads a
:class:`Snapshot` and the :class:`Conversation`, calls one of the public functions below and
applies the returned :class:`Decision` (assignee, status, team, reason, detail, rotation
pointer updates, notify flag, AI welcome/event) in one transaction. Design notes, the
rotation pointer and the reason/detail codes are described in ``docs/routing-engine.md``.

The modules, each importing only the ones before it: ``model`` (the data and codes),
``rotation`` (round robin), ``state`` (the state after a decision), ``rules`` (new
conversations, the human rules, reopen, greeting), ``handoffs`` (AI handoff, agent offline),
``queue`` (dequeue) and ``manual`` (manual assignment, takeover, claim). This package
re-exports their public names; import them from here.
"""

from relaydesk.routing.engine.handoffs import agent_offline, handoff
from relaydesk.routing.engine.manual import claim, manual_assign, takeover
from relaydesk.routing.engine.model import (
    AI_SCOPE,
    APP_SCOPE,
    DETAILS,
    REASONS,
    RULES,
    Agent,
    AgentStatus,
    AIAgent,
    AIEvent,
    AIFailure,
    Assignee,
    AssigneeType,
    Conversation,
    ConversationStatus,
    DecidedStatus,
    Decision,
    Detail,
    Greeting,
    Handoff,
    HandoffRequest,
    HangUp,
    HumanRouting,
    NoChange,
    Reason,
    RefusalCode,
    Refused,
    RoutingSettings,
    Snapshot,
    Target,
    TargetType,
    Team,
    team_scope,
)
from relaydesk.routing.engine.queue import dequeue
from relaydesk.routing.engine.rotation import next_ai_agent, round_robin
from relaydesk.routing.engine.rules import greeting, human_rules, reopen, route_new
from relaydesk.routing.engine.state import apply_decision, apply_to_conversation, update_agent

__all__ = [
    "AI_SCOPE",
    "APP_SCOPE",
    "DETAILS",
    "REASONS",
    "RULES",
    "AIAgent",
    "AIEvent",
    "AIFailure",
    "Agent",
    "AgentStatus",
    "Assignee",
    "AssigneeType",
    "Conversation",
    "ConversationStatus",
    "DecidedStatus",
    "Decision",
    "Detail",
    "Greeting",
    "Handoff",
    "HandoffRequest",
    "HangUp",
    "HumanRouting",
    "NoChange",
    "Reason",
    "RefusalCode",
    "Refused",
    "RoutingSettings",
    "Snapshot",
    "Target",
    "TargetType",
    "Team",
    "agent_offline",
    "apply_decision",
    "apply_to_conversation",
    "claim",
    "dequeue",
    "greeting",
    "handoff",
    "human_rules",
    "manual_assign",
    "next_ai_agent",
    "reopen",
    "round_robin",
    "route_new",
    "takeover",
    "team_scope",
    "update_agent",
]
