"""The pure routing engine of ``routing.md``: a snapshot goes in, a decision comes out.

Nothing here does I/O. The routing service locks the app's routing row, loads a
:class:`Snapshot` and the :class:`Conversation`, calls one of the public functions below and
applies the returned :class:`Decision` (assignee, status, team, reason, detail, rotation
pointer updates, notify flag, AI welcome/event) in one transaction. Design notes, the
rotation pointer and the reason/detail codes are described in ``docs/routing-engine.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """Everything routing reads, as loaded inside the locked transaction."""

    settings: RoutingSettings = field(default_factory=RoutingSettings)
    agents: tuple[Agent, ...] = ()  # creation order
    teams: Mapping[str, Team] = field(default_factory=dict)
    ai_agents: Mapping[str, AIAgent] = field(default_factory=dict)
    pointers: Mapping[str, str] = field(default_factory=dict)  # scope -> last assigned id
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
        for name in ("settings", "teams", "ai_agents", "_position", "_by_email"):
            object.__setattr__(new, name, getattr(self, name))
        object.__setattr__(new, "agents", self.agents if agents is None else agents)
        object.__setattr__(new, "pointers", self.pointers if pointers is None else pointers)
        return new

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


# --------------------------------------------------------------------------- rotation


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


# --------------------------------------------------------------------------- internals

_How: TypeAlias = Literal[
    "participant", "team_round_robin", "round_robin", "default_agent", "queued", "notify"
]


@dataclass(frozen=True, slots=True)
class _Pick:
    agent_id: str | None
    how: _How
    cause: str | None = None
    pointer: tuple[str, str] | None = None  # (scope, agent id)


def _human(agent_id: str) -> Assignee:
    return Assignee(type="agent", id=agent_id)


def _default_agent(snapshot: Snapshot, excluded: frozenset[str]) -> str | None:
    agent = snapshot.agent(snapshot.settings.default_agent_id)
    return None if agent is None or agent.id in excluded else agent.id


def _team_pick(snapshot: Snapshot, team_id: str, excluded: frozenset[str]) -> _Pick:
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


def _released(snapshot: Snapshot, conversation: Conversation) -> Snapshot:
    """The snapshot without this conversation counted in its current assignee's load."""
    a = conversation.assignee
    if conversation.status != "open" or a is None or a.type != "agent":
        return snapshot
    agent = snapshot.agent(a.id)
    if agent is None or agent.open_count == 0:
        return snapshot
    return update_agent(snapshot, agent.id, open_count=agent.open_count - 1)


# --------------------------------------------------------------------------- public rules


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


def dequeue(snapshot: Snapshot, waiting: Sequence[Conversation]) -> list[tuple[str, Decision]]:
    """Assign waiting conversations (oldest first) while someone eligible remains; reason dequeued.

    A conversation with a known ``team_id`` only goes to an eligible member of that team;
    one that cannot be placed stays waiting and the next one is tried.
    """
    out: list[tuple[str, Decision]] = []
    for conversation in waiting:
        if not any(a.eligible for a in snapshot.agents):
            break
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


def greeting(snapshot: Snapshot, decision: Decision) -> Greeting:
    """Which greeting a new conversation gets (§3): AI welcome, app welcome or away message."""
    a = decision.assignee
    if a is not None and a.type == "ai_agent":
        return "ai_welcome"
    agent = snapshot.agent(a.id) if a is not None else None
    return "welcome_message" if agent is not None and agent.status == "online" else "away_message"


# --------------------------------------------------------------------------- applying


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
