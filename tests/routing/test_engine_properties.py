"""Property-based tests of the routing invariants of routing.md §1–§2 and §5 on the pure engine."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from relaydesk.routing.engine import (
    APP_SCOPE,
    Agent,
    AgentStatus,
    Assignee,
    Conversation,
    Decision,
    RoutingSettings,
    Snapshot,
    Target,
    Team,
    agent_offline,
    apply_decision,
    apply_to_conversation,
    dequeue,
    route_new,
    team_scope,
    update_agent,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

statuses: st.SearchStrategy[AgentStatus] = st.sampled_from(["online", "online", "away", "offline"])
capacities = st.one_of(st.none(), st.integers(min_value=0, max_value=4))


@st.composite
def agent_sets(draw: st.DrawFn, *, min_size: int = 1, max_size: int = 10) -> tuple[Agent, ...]:
    """Agents in creation order with random status, capacity and a load within capacity."""
    n = draw(st.integers(min_value=min_size, max_value=max_size))
    out = []
    for i in range(n):
        cap = draw(capacities)
        load = draw(st.integers(min_value=0, max_value=cap if cap is not None else 3))
        out.append(
            Agent(
                id=f"a{i:03d}",
                email=f"a{i}@x.test",
                status=draw(statuses),
                open_count=load,
                max_concurrent=cap,
            )
        )
    return tuple(out)


def pointer_for(
    draw: Callable[[st.SearchStrategy[Any]], Any], agents: tuple[Agent, ...]
) -> dict[str, str]:
    choice = draw(st.one_of(st.none(), st.just("deleted"), st.sampled_from([a.id for a in agents])))
    return {} if choice is None else {APP_SCOPE: choice}


@st.composite
def snapshots(draw: st.DrawFn) -> Snapshot:
    agents = draw(agent_sets())
    default = draw(st.one_of(st.none(), st.sampled_from([a.id for a in agents])))
    return Snapshot(
        settings=RoutingSettings(default_agent_id=default),
        agents=agents,
        pointers=pointer_for(draw, agents),
    )


def conv(i: int, **kw: object) -> Conversation:
    return Conversation(id=f"c{i}", **kw)  # type: ignore[arg-type]


def check_new_decision(before: Snapshot, d: Decision) -> None:
    """Every decision is an eligible agent or the documented fallback."""
    eligible = {a.id for a in before.agents if a.eligible}
    online = [a for a in before.agents if a.status == "online"]
    default = before.agent(before.settings.default_agent_id)
    if eligible:
        assert d.reason == "round_robin"
        assert d.assignee is not None and d.assignee.id in eligible
        assert d.pointer_updates == {APP_SCOPE: d.assignee.id}
    elif online:
        assert (d.reason, d.status, d.assignee, d.detail) == (
            "queued",
            "waiting",
            None,
            "all_agents_at_capacity",
        )
    elif default is not None:
        assert (d.reason, d.assignee, d.status) == (
            "default_agent",
            Assignee(type="agent", id=default.id),
            "open",
        )
    else:
        assert (d.reason, d.status, d.assignee) == ("queued", "waiting", None)


@FAST
@given(snapshots(), st.integers(min_value=1, max_value=40))
def test_every_decision_is_eligible_or_documented_fallback(s: Snapshot, n: int) -> None:
    for i in range(n):
        d = route_new(s, conv(i))
        check_new_decision(s, d)
        s = apply_decision(s, d)


@FAST
@given(snapshots(), st.integers(min_value=1, max_value=40))
def test_rotation_never_exceeds_max_concurrent(s: Snapshot, n: int) -> None:
    for i in range(n):
        d = route_new(s, conv(i))
        s = apply_decision(s, d)
        if d.reason == "round_robin":
            agent = s.agent(d.assignee.id)  # type: ignore[union-attr]
            assert agent is not None
            assert agent.max_concurrent is None or agent.open_count <= agent.max_concurrent


@FAST
@given(snapshots(), st.integers(min_value=0, max_value=60))
def test_spread_at_most_one_among_agents_eligible_throughout(s: Snapshot, n: int) -> None:
    got: Counter[str] = Counter()
    start = s
    for i in range(n):
        d = route_new(s, conv(i))
        if d.reason == "round_robin":
            got[d.assignee.id] += 1  # type: ignore[union-attr]
        s = apply_decision(s, d)
    # loads only grow here, so eligible at the end means eligible throughout
    throughout = [a.id for a in s.agents if a.eligible]
    counts = [got[a] for a in throughout]
    if counts:
        assert max(counts) - min(counts) <= 1
    # with nobody dropping out, each of the k has floor(n/k) or ceil(n/k)
    if throughout and len(throughout) == sum(1 for a in start.agents if a.eligible):
        k = len(throughout)
        assert set(counts) <= {n // k, -(-n // k)}


@FAST
@given(agent_sets(), st.data())
def test_fixed_cycle_order(agents: tuple[Agent, ...], data: st.DataObject) -> None:
    agents = tuple(replace(a, max_concurrent=None) for a in agents)
    start_pointer = pointer_for(data.draw, agents)
    s = Snapshot(agents=agents, pointers=start_pointer)
    order = [a.id for a in agents if a.eligible]
    n = data.draw(st.integers(min_value=0, max_value=3 * len(agents) + 2))
    seq = []
    for i in range(n):
        d = route_new(s, conv(i))
        s = apply_decision(s, d)
        if order:
            seq.append(d.assignee.id)  # type: ignore[union-attr]
    if not order:
        return
    # the cycle is the eligible agents in creation order, starting after the pointer
    ids = [a.id for a in agents]
    pointer = start_pointer.get(APP_SCOPE)
    after = ids.index(pointer) + 1 if pointer in ids else 0
    first = next(
        ids[(after + j) % len(ids)] for j in range(len(ids)) if ids[(after + j) % len(ids)] in order
    )
    k = len(order)
    rot = order.index(first)
    assert seq == [order[(rot + i) % k] for i in range(n)]


@FAST
@given(
    st.integers(min_value=2, max_value=8),
    st.data(),
)
def test_agent_back_online_joins_at_their_place_without_backlog(
    k: int, data: st.DataObject
) -> None:
    agents = tuple(Agent(id=f"a{i}") for i in range(k))
    s = Snapshot(agents=agents, pointers=pointer_for(data.draw, agents))
    x = data.draw(st.sampled_from([a.id for a in agents]))
    s = update_agent(s, x, status="offline")
    away_for = data.draw(st.integers(min_value=0, max_value=4 * k))
    for i in range(away_for):
        d = route_new(s, conv(i))
        assert d.assignee is not None and d.assignee.id != x
        s = apply_decision(s, d)
    s = update_agent(s, x, status="online")
    seq = []
    for i in range(3 * k):
        d = route_new(s, conv(1000 + i))
        seq.append(d.assignee.id)  # type: ignore[union-attr]
        s = apply_decision(s, d)
    order = [a.id for a in agents]
    # every window of k consecutive assignments is each agent exactly once, in creation order
    for start in range(len(seq) - k + 1):
        assert sorted(seq[start : start + k]) == sorted(order)
    rot = order.index(seq[0])
    assert seq == [order[(rot + i) % k] for i in range(3 * k)]


@FAST
@given(
    st.integers(min_value=1, max_value=6),
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=1, max_value=12),
    st.data(),
)
def test_freeing_capacity_then_dequeue_assigns_oldest_first(
    k: int, cap: int, queued: int, data: st.DataObject
) -> None:
    agents = tuple(Agent(id=f"a{i}", max_concurrent=cap) for i in range(k))
    s = Snapshot(agents=agents)
    open_convs: list[Conversation] = []
    for i in range(k * cap):
        c = conv(i)
        d = route_new(s, c)
        assert d.reason == "round_robin"
        s = apply_decision(s, d)
        open_convs.append(apply_to_conversation(c, d))
    waiting: list[Conversation] = []
    for i in range(queued):
        c = conv(100 + i)
        d = route_new(s, c)
        assert d.reason == "queued"
        s = apply_decision(s, d)
        waiting.append(apply_to_conversation(c, d))
    freed = 0
    how = data.draw(st.sampled_from(["resolve", "raise"]))
    if how == "resolve":
        idx = data.draw(st.lists(st.integers(0, len(open_convs) - 1), unique=True, min_size=1))
        for j in idx:
            c = open_convs[j]
            agent = s.agent(c.assignee.id)  # type: ignore[union-attr]
            assert agent is not None
            s = update_agent(s, agent.id, open_count=agent.open_count - 1)
        freed = len(idx)
    else:
        who = data.draw(st.sampled_from([a.id for a in agents]))
        extra = data.draw(st.integers(min_value=1, max_value=5))
        s = update_agent(s, who, max_concurrent=cap + extra)
        freed = extra
    out = dequeue(s, waiting)
    assert [cid for cid, _ in out] == [c.id for c in waiting[: min(freed, queued)]]
    assert all(d.reason == "dequeued" and d.status == "open" for _, d in out)
    for _, d in out:
        s = apply_decision(s, d)
    if len(out) < queued:
        assert not any(a.eligible for a in s.agents)


@FAST
@given(snapshots(), st.integers(min_value=0, max_value=15))
def test_nothing_left_waiting_while_someone_is_eligible_after_dequeue(s: Snapshot, w: int) -> None:
    waiting = [conv(i, status="waiting") for i in range(w)]
    out = dequeue(s, waiting)
    for _, d in out:
        assert d.assignee is not None
        before = s.agent(d.assignee.id)
        assert before is not None and before.eligible
        s = apply_decision(s, d)
    if len(out) < w:
        assert not any(a.eligible for a in s.agents)
    assert [cid for cid, _ in out] == [c.id for c in waiting[: len(out)]]


@FAST
@given(agent_sets(min_size=2), st.data())
def test_team_rotation_stays_in_team_and_balanced(
    agents: tuple[Agent, ...], data: st.DataObject
) -> None:
    agents = tuple(replace(a, max_concurrent=None) for a in agents)
    ids = [a.id for a in agents]
    members = frozenset(data.draw(st.lists(st.sampled_from(ids), min_size=1, unique=True)))
    default = data.draw(st.one_of(st.none(), st.sampled_from(ids)))
    s = Snapshot(
        settings=RoutingSettings(
            default_agent_id=default, channel_rules={"web": Target(type="team", id="t")}
        ),
        agents=agents,
        teams={"t": Team(id="t", member_ids=members)},
    )
    eligible_members = {a.id for a in agents if a.id in members and a.eligible}
    n = data.draw(st.integers(min_value=1, max_value=30))
    got: Counter[str] = Counter()
    for i in range(n):
        d = route_new(s, conv(i))
        assert d.team_id == "t"
        if eligible_members:
            assert d.reason == "channel_rule" and d.assignee is not None
            assert d.assignee.id in eligible_members
            assert d.pointer_updates == {team_scope("t"): d.assignee.id}
            got[d.assignee.id] += 1
        elif default is not None:
            assert d.assignee == Assignee(type="agent", id=default)
            assert d.detail == "team_has_no_eligible_member"
        else:
            assert d.reason == "queued" and d.status == "waiting"
        s = apply_decision(s, d)
    if eligible_members:
        counts = [got[m] for m in eligible_members]
        assert max(counts) - min(counts) <= 1


class QueueMachine(RuleBasedStateMachine):
    """Arrivals, resolutions, presence and capacity changes; the service dequeues after each."""

    def __init__(self) -> None:
        super().__init__()
        self.s = Snapshot()
        self.convs: dict[str, Conversation] = {}
        self.order: list[str] = []  # creation order of conversations
        self.n = 0

    @initialize(agents=agent_sets(max_size=6), reassign=st.booleans())
    def setup(self, agents: tuple[Agent, ...], reassign: bool) -> None:
        agents = tuple(replace(a, open_count=0) for a in agents)
        self.s = Snapshot(
            settings=RoutingSettings(default_agent_id=agents[0].id, reassign_on_offline=reassign),
            agents=agents,
        )

    def _apply(self, cid: str, d: Decision) -> None:
        prev = self.convs[cid]
        if d.reason in ("round_robin", "dequeued"):
            agent = self.s.agent(d.assignee.id)  # type: ignore[union-attr]
            assert agent is not None and agent.eligible
        self.s = apply_decision(self.s, d, previous=prev)
        self.convs[cid] = apply_to_conversation(prev, d)

    def _dequeue(self) -> None:
        waiting = [self.convs[c] for c in self.order if self.convs[c].status == "waiting"]
        for cid, d in dequeue(self.s, waiting):
            self._apply(cid, d)

    @rule()
    def arrive(self) -> None:
        cid = f"c{self.n}"
        self.n += 1
        self.convs[cid] = Conversation(id=cid)
        self.order.append(cid)
        self._apply(cid, route_new(self.s, self.convs[cid]))

    @rule(data=st.data())
    def resolve(self, data: st.DataObject) -> None:
        open_ids = [c for c in self.order if self.convs[c].status == "open"]
        if not open_ids:
            return
        cid = data.draw(st.sampled_from(open_ids))
        c = self.convs[cid]
        if c.assignee is not None:
            agent = self.s.agent(c.assignee.id)
            assert agent is not None
            self.s = update_agent(self.s, agent.id, open_count=agent.open_count - 1)
        self.convs[cid] = replace(c, status="resolved")
        self._dequeue()

    @rule(data=st.data(), status=statuses)
    def presence(self, data: st.DataObject, status: AgentStatus) -> None:
        agent_id = data.draw(st.sampled_from([a.id for a in self.s.agents]))
        self.s = update_agent(self.s, agent_id, status=status)
        if status == "offline":
            out = agent_offline(self.s, [self.convs[c] for c in self.order], agent_id)
            if isinstance(out, list):
                for cid, d in out:
                    assert d.assignee is None or d.assignee.id != agent_id
                    self._apply(cid, d)
        self._dequeue()

    @rule(data=st.data(), cap=capacities)
    def capacity(self, data: st.DataObject, cap: int | None) -> None:
        agent_id = data.draw(st.sampled_from([a.id for a in self.s.agents]))
        self.s = update_agent(self.s, agent_id, max_concurrent=cap)
        self._dequeue()

    @invariant()
    def loads_match_open_conversations(self) -> None:
        loads = Counter(
            c.assignee.id
            for c in self.convs.values()
            if c.status == "open" and c.assignee is not None
        )
        assert {a.id: a.open_count for a in self.s.agents} == {
            a.id: loads[a.id] for a in self.s.agents
        }

    @invariant()
    def nothing_waiting_while_someone_is_eligible(self) -> None:
        if any(c.status == "waiting" for c in self.convs.values()):
            assert not any(a.eligible for a in self.s.agents)


TestQueueMachine = QueueMachine.TestCase
TestQueueMachine.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@FAST
@given(snapshots(), st.data())
def test_dequeue_with_teams_leaves_nobody_eligible_in_any_waiting_scope(
    s: Snapshot, data: st.DataObject
) -> None:
    ids = [a.id for a in s.agents]
    members = frozenset(data.draw(st.lists(st.sampled_from(ids), unique=True)))
    s = replace(s, teams={"t": Team(id="t", member_ids=members)})
    team_flags = data.draw(st.lists(st.booleans(), max_size=15))
    waiting = [
        conv(i, status="waiting", team_id="t" if f else None) for i, f in enumerate(team_flags)
    ]
    out = dequeue(s, waiting)
    for cid, d in out:
        c = next(w for w in waiting if w.id == cid)
        assert d.assignee is not None and d.team_id == c.team_id
        agent = s.agent(d.assignee.id)
        assert agent is not None and agent.eligible
        assert c.team_id is None or agent.id in members
        s = apply_decision(s, d)
    done = {cid for cid, _ in out}
    for c in waiting:
        if c.id not in done:
            scope = [a for a in s.agents if c.team_id is None or a.id in members]
            assert not any(a.eligible for a in scope)
