"""The engine's data: snapshot, conversation, requests, decisions and their codes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias, get_args

AgentStatus: TypeAlias = Literal["online", "away", "offline"]
HumanRouting: TypeAlias = Literal["automatic", "notify_everybody"]
AssigneeType: TypeAlias = Literal["agent", "ai_agent"]
TargetType: TypeAlias = Literal["agent", "team", "ai_agent"]
ConversationStatus: TypeAlias = Literal["open", "waiting", "resolved", "spam"]
DecidedStatus: TypeAlias = Literal["open", "waiting"]
Greeting: TypeAlias = Literal["ai_welcome", "welcome_message", "away_message"]

Reason: TypeAlias = Literal[
    "explicit",
    "channel_rule",
    "ai_routing",
    "round_robin",
    "default_agent",
    "queued",
    "notify_everybody",
    "dequeued",
    "ai_handoff",
    "ai_handoff_agent",
    "ai_handoff_team",
    "ai_handoff_ai_agent",
    "ai_hangup",
    "ai_error",
    "takeover",
    "claim",
    "manual",
    "agent_offline",
    "reopened",
    "outside_hours",
]
REASONS: Final[tuple[str, ...]] = get_args(Reason)

Detail: TypeAlias = Literal[
    # the target named by a request / rule / payload does not exist
    "unknown_assignee",
    "unknown_team",
    # how the human rules placed the conversation (reason = the trigger)
    "participant",
    "round_robin",
    "team_round_robin",
    "notify_everybody",
    # why a fallback (default agent, queue, unassigned notify) was taken
    "no_agent_online",
    "all_agents_at_capacity",
    "team_has_no_eligible_member",
    "no_default_agent",
    "outside_business_hours",  # the team is closed (business hours)
    "outside_hours",  # the app is closed and outside_hours is "queue"
    # manual "rules" re-run and reopen via the rules carry the underlying reason as detail
    "explicit",
    "channel_rule",
    "ai_routing",
    "default_agent",
    "queued",
]
DETAILS: Final[tuple[str, ...]] = get_args(Detail)

RefusalCode: TypeAlias = Literal[
    "not_assigned_to_ai_agent",
    "unknown_agent",
    "unknown_assignee",
    "unknown_team",
    "conversation_not_open",
]

APP_SCOPE: Final = "app"
AI_SCOPE: Final = "ai"


def team_scope(team_id: str) -> str:
    """The rotation-pointer scope of a team."""
    return f"team:{team_id}"


# --------------------------------------------------------------------------- snapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class Assignee:
    """Who a conversation is assigned to: a human agent or an AI agent."""

    type: AssigneeType
    id: str


def _human(agent_id: str) -> Assignee:
    return Assignee(type="agent", id=agent_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """An assignment target named by a request or a channel rule."""

    type: TargetType
    id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Agent:
    """A human agent with their presence and current load of open conversations."""

    id: str
    email: str = ""
    status: AgentStatus = "online"
    open_count: int = 0
    max_concurrent: int | None = None

    @property
    def eligible(self) -> bool:
        """Online and below ``max_concurrent`` (routing.md §1)."""
        return self.status == "online" and (
            self.max_concurrent is None or self.open_count < self.max_concurrent
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Team:
    """A team; rotation inside it follows the app's agent creation order."""

    id: str
    member_ids: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class AIAgent:
    """An AI agent; only ``auto_handoff`` matters to routing."""

    id: str
    auto_handoff: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingSettings:
    """The app's routing settings object (``PUT /api/v1/routing``)."""

    human_routing: HumanRouting = "automatic"
    default_agent_id: str | None = None
    ai_enabled: bool = False
    ai_agent_ids: tuple[str, ...] = ()
    channel_rules: Mapping[str, Target] = field(default_factory=dict)
    reassign_on_offline: bool = False
    #: outside business hours, conversations for humans are assigned as usual or wait
    outside_hours: Literal["assign", "queue"] = "assign"


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """Everything routing reads, as loaded inside the locked transaction."""

    settings: RoutingSettings = field(default_factory=RoutingSettings)
    agents: tuple[Agent, ...] = ()  # creation order
    teams: Mapping[str, Team] = field(default_factory=dict)
    ai_agents: Mapping[str, AIAgent] = field(default_factory=dict)
    pointers: Mapping[str, str] = field(default_factory=dict)  # scope -> last assigned id
    closed: bool = False  # the app is outside its business hours now
    closed_teams: frozenset[str] = frozenset()  # teams outside their own (or the app's) hours
    open_own_hours: frozenset[str] = frozenset()  # teams open on hours of their own
    _position: dict[str, int] = field(init=False, repr=False, compare=False)
    _by_email: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        position = {agent.id: i for i, agent in enumerate(self.agents)}
        if len(position) != len(self.agents):
            raise ValueError("duplicate agent id in snapshot")
        by_email = {a.email.strip().lower(): a.id for a in reversed(self.agents) if a.email}
        object.__setattr__(self, "_position", position)
        object.__setattr__(self, "_by_email", by_email)

    def _derive(
        self, *, agents: tuple[Agent, ...] | None = None, pointers: Mapping[str, str] | None = None
    ) -> Snapshot:
        """A copy sharing the id/email indexes; only for agents with unchanged ids and emails."""
        new = object.__new__(Snapshot)
        shared = ("settings", "teams", "ai_agents", "closed", "closed_teams", "open_own_hours")
        for name in (*shared, "_position", "_by_email"):
            object.__setattr__(new, name, getattr(self, name))
        object.__setattr__(new, "agents", self.agents if agents is None else agents)
        object.__setattr__(new, "pointers", self.pointers if pointers is None else pointers)
        return new

    @property
    def holding(self) -> bool:
        """Closed with ``outside_hours: "queue"``: conversations for humans wait (except
        a team's that is open on hours of its own)."""
        return self.closed and self.settings.outside_hours == "queue"

    def team_closed(self, team_id: str | None) -> bool:
        """Whether a conversation of this team (or of no team) is outside business hours."""
        if team_id in self.closed_teams:
            return True
        return self.closed and team_id not in self.open_own_hours

    def agent(self, agent_id: str | None) -> Agent | None:
        """The agent with this id, or None."""
        if agent_id is None:
            return None
        i = self._position.get(agent_id)
        return None if i is None else self.agents[i]

    def agent_by_email(self, email: str) -> Agent | None:
        """The agent with this email (case-insensitive), or None."""
        return self.agent(self._by_email.get(email.strip().lower()))


@dataclass(frozen=True, slots=True, kw_only=True)
class Conversation:
    """The conversation being routed; ``participants`` are humans who were assignee/wrote."""

    id: str
    channel: str = "web"
    status: ConversationStatus = "open"
    team_id: str | None = None
    assignee: Assignee | None = None
    participants: tuple[Assignee, ...] = ()


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True, slots=True, kw_only=True)
class AIEvent:
    """A named event sent to an AI agent on a bot-to-bot handoff."""

    name: str
    data: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Handoff:
    """An explicit handoff payload; None means the key was absent, "" means human rules."""

    assign_to: str | None = None  # KM_ASSIGN_TO
    assign_team: str | None = None  # KM_ASSIGN_TEAM
    event: AIEvent | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HangUp:
    """The AI agent gave up (Lex Failed, Dialogflow input.unknown, too many fallbacks)."""

    detail: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AIFailure:
    """The AI agent kept failing (errors, timeouts after retries)."""

    detail: str | None = None


HandoffRequest: TypeAlias = Handoff | HangUp | AIFailure

RULES: Final = "rules"


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """What the service applies: assignee (None = unassigned), status, team, audit codes."""

    assignee: Assignee | None
    status: DecidedStatus
    team_id: str | None
    reason: Reason
    detail: str | None = None
    pointer_updates: Mapping[str, str] = field(default_factory=dict)
    notify_everybody: bool = False
    send_welcome: bool = False  # trigger the assigned AI agent's welcome
    send_event: AIEvent | None = None  # or send it this event instead

    @property
    def queued(self) -> bool:
        """True when the conversation waits in the queue with no assignee."""
        return self.status == "waiting"


@dataclass(frozen=True, slots=True, kw_only=True)
class NoChange:
    """Nothing to apply (e.g. a hang-up with ``auto_handoff`` off keeps the AI agent)."""

    why: Literal["auto_handoff_off", "ai_agent_not_assignee", "reassign_on_offline_off"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Refused:
    """A request the rules refuse; the service maps it to an HTTP error (see ``http_status``)."""

    code: RefusalCode

    @property
    def http_status(self) -> int:
        """409 for state conflicts, 422 for unknown ids."""
        return 409 if self.code in ("not_assigned_to_ai_agent", "conversation_not_open") else 422
