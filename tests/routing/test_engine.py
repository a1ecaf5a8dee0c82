"""Example tests for the pure routing engine: one or more per rule and reason code."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from relaydesk.routing.engine import (
    AI_SCOPE,
    APP_SCOPE,
    REASONS,
    RULES,
    Agent,
    AIAgent,
    AIEvent,
    AIFailure,
    Assignee,
    Conversation,
    Decision,
    Handoff,
    HangUp,
    NoChange,
    Refused,
    RoutingSettings,
    Snapshot,
    Target,
    Team,
    agent_offline,
    apply_decision,
    apply_to_conversation,
    claim,
    dequeue,
    greeting,
    handoff,
    human_rules,
    manual_assign,
    next_ai_agent,
    reopen,
    round_robin,
    route_new,
    takeover,
    team_scope,
    update_agent,
)

A = "agent"


def agents(*specs: str, cap: int | None = None) -> tuple[Agent, ...]:
    """Agents a1..an from status letters: o=online, a=away, f=offline."""
    status = {"o": "online", "a": "away", "f": "offline"}
    return tuple(
        Agent(id=f"a{i}", email=f"A{i}@Example.com", status=status[s], max_concurrent=cap)  # type: ignore[arg-type]
        for i, s in enumerate(specs, start=1)
    )


def snap(
    agent_list: tuple[Agent, ...] = (),
    *,
    teams: Mapping[str, frozenset[str]] | None = None,
    ai: Mapping[str, bool] | None = None,
    pointers: Mapping[str, str] | None = None,
    **settings: object,
) -> Snapshot:
    return Snapshot(
        settings=RoutingSettings(**settings),  # type: ignore[arg-type]
        agents=agent_list,
        teams={tid: Team(id=tid, member_ids=m) for tid, m in (teams or {}).items()},
        ai_agents={aid: AIAgent(id=aid, auto_handoff=on) for aid, on in (ai or {}).items()},
        pointers=dict(pointers or {}),
    )


def conv(**kw: object) -> Conversation:
    kw.setdefault("id", "c1")
    return Conversation(**kw)  # type: ignore[arg-type]


def human(agent_id: str) -> Assignee:
    return Assignee(type="agent", id=agent_id)


def bot(ai_id: str) -> Assignee:
    return Assignee(type="ai_agent", id=ai_id)


ON_BOT = conv(assignee=bot("bot1"))


def decided(outcome: object) -> Decision:
    assert isinstance(outcome, Decision), outcome
    return outcome


# --------------------------------------------------------------------- eligibility, rotation


def test_eligibility() -> None:
    assert Agent(id="x").eligible
    assert not Agent(id="x", status="away").eligible
    assert not Agent(id="x", status="offline").eligible
    assert not Agent(id="x", open_count=2, max_concurrent=2).eligible
    assert Agent(id="x", open_count=1, max_concurrent=2).eligible


def test_round_robin_starts_after_pointer_and_wraps() -> None:
    s = snap(agents("o", "o", "o"), pointers={APP_SCOPE: "a2"})
    assert round_robin(s) == ("a3", APP_SCOPE)
    s = snap(agents("o", "o", "o"), pointers={APP_SCOPE: "a3"})
    assert round_robin(s) == ("a1", APP_SCOPE)


def test_round_robin_skips_ineligible() -> None:
    s = snap(agents("o", "a", "f", "o"), pointers={APP_SCOPE: "a1"})
    assert round_robin(s) == ("a4", APP_SCOPE)
    full = update_agent(s, "a4", open_count=1, max_concurrent=1)
    assert round_robin(full) == ("a1", APP_SCOPE)


def test_round_robin_pointer_agent_deleted_restarts_from_beginning() -> None:
    s = snap(agents("o", "o", "o"), pointers={APP_SCOPE: "gone"})
    assert round_robin(s) == ("a1", APP_SCOPE)


def test_team_round_robin_follows_creation_order_and_team_pointer() -> None:
    s = snap(
        agents("o", "o", "o", "o"),
        teams={"t": frozenset({"a4", "a2"})},
        pointers={team_scope("t"): "a2", APP_SCOPE: "a3"},
    )
    assert round_robin(s, team_id="t") == ("a4", "team:t")
    s2 = apply_decision(s, decided(route_new(s, conv(), explicit=Target(type="team", id="t"))))
    assert s2.pointers[team_scope("t")] == "a4"
    assert s2.pointers[APP_SCOPE] == "a3"  # the app pointer is untouched
    assert round_robin(s2, team_id="t") == ("a2", "team:t")


def test_team_pointer_on_removed_member_continues_from_their_place() -> None:
    s = snap(
        agents("o", "o", "o", "o"),
        teams={"t": frozenset({"a1", "a4"})},
        pointers={team_scope("t"): "a2"},
    )  # a2 left the team but still exists
    assert round_robin(s, team_id="t") == ("a4", "team:t")


def test_round_robin_exclude() -> None:
    s = snap(agents("o", "o"))
    assert round_robin(s, exclude={"a1"}) == ("a2", APP_SCOPE)
    assert round_robin(s, exclude={"a1", "a2"}) is None


def test_ai_round_robin_skips_unknown_ai_agents() -> None:
    s = snap(
        ai={"b1": True, "b3": True},
        ai_enabled=True,
        ai_agent_ids=("b1", "b2", "b3"),
        pointers={AI_SCOPE: "b1"},
    )
    assert next_ai_agent(s) == "b3"
    assert next_ai_agent(replace_pointer(s, AI_SCOPE, "b3")) == "b1"
    assert next_ai_agent(replace_pointer(s, AI_SCOPE, "b2")) == "b1"


def replace_pointer(s: Snapshot, scope: str, value: str) -> Snapshot:
    from dataclasses import replace

    return replace(s, pointers={**s.pointers, scope: value})


# --------------------------------------------------------------------- §2 new conversations


def test_explicit_agent_skips_rules_whatever_status() -> None:
    s = snap(agents("o", "f"), ai={"b": True}, ai_enabled=True, ai_agent_ids=("b",))
    d = route_new(s, conv(), explicit=Target(type="agent", id="a2"))
    assert (d.assignee, d.reason, d.status) == (human("a2"), "explicit", "open")
    assert d.pointer_updates == {}


def test_explicit_ai_agent_gets_welcome() -> None:
    s = snap(agents("o"), ai={"b": True})
    d = route_new(s, conv(), explicit=Target(type="ai_agent", id="b"))
    assert (d.assignee, d.reason, d.send_welcome) == (bot("b"), "explicit", True)
    assert greeting(s, d) == "ai_welcome"


def test_explicit_team_round_robin_sets_team() -> None:
    s = snap(agents("o", "o"), teams={"t": frozenset({"a2"})})
    d = route_new(s, conv(), explicit=Target(type="team", id="t"))
    assert (d.assignee, d.reason, d.team_id) == (human("a2"), "explicit", "t")
    assert d.pointer_updates == {"team:t": "a2"}


def test_explicit_unknown_falls_back_to_rules_with_detail() -> None:
    s = snap(agents("o"))
    d = route_new(s, conv(), explicit=Target(type="agent", id="nope"))
    assert (d.assignee, d.reason, d.detail) == (human("a1"), "round_robin", "unknown_assignee")
    d = route_new(s, conv(), explicit=Target(type="team", id="nope"))
    assert d.detail == "unknown_team"


def test_channel_rule_agent_whatever_status() -> None:
    s = snap(agents("o", "f"), channel_rules={"whatsapp": Target(type="agent", id="a2")})
    d = route_new(s, conv(channel="whatsapp"))
    assert (d.assignee, d.reason) == (human("a2"), "channel_rule")
    assert greeting(s, d) == "away_message"
    d = route_new(s, conv(channel="web"))
    assert (d.assignee, d.reason) == (human("a1"), "round_robin")
    assert greeting(s, d) == "welcome_message"


def test_channel_rule_team_round_robin_then_default_agent_keeping_team() -> None:
    rules = {"email": Target(type="team", id="t")}
    s = snap(
        agents("o", "o", "a"),
        teams={"t": frozenset({"a2", "a3"})},
        channel_rules=rules,
        default_agent_id="a1",
    )
    d = route_new(s, conv(channel="email"))
    assert (d.assignee, d.reason, d.team_id) == (human("a2"), "channel_rule", "t")
    s = update_agent(s, "a2", status="away")
    d = route_new(s, conv(channel="email"))
    assert (d.assignee, d.reason, d.team_id, d.detail) == (
        human("a1"),
        "channel_rule",
        "t",
        "team_has_no_eligible_member",
    )
    assert d.pointer_updates == {}


def test_channel_rule_team_nobody_and_no_default_is_queued() -> None:
    rules = {"email": Target(type="team", id="t")}
    s = snap(agents("o", "a"), teams={"t": frozenset({"a2"})}, channel_rules=rules)
    d = route_new(s, conv(channel="email"))
    assert (d.assignee, d.status, d.reason, d.team_id, d.detail) == (
        None,
        "waiting",
        "queued",
        "t",
        "team_has_no_eligible_member",
    )
    assert greeting(s, d) == "away_message"


def test_channel_rule_ai_agent() -> None:
    s = snap(agents("o"), ai={"b": True}, channel_rules={"web": Target(type="ai_agent", id="b")})
    d = route_new(s, conv())
    assert (d.assignee, d.reason, d.send_welcome) == (bot("b"), "channel_rule", True)


def test_channel_rule_beats_ai_routing_and_explicit_beats_channel_rule() -> None:
    s = snap(
        agents("o", "o"),
        ai={"b": True},
        ai_enabled=True,
        ai_agent_ids=("b",),
        channel_rules={"web": Target(type="agent", id="a2")},
    )
    assert route_new(s, conv()).reason == "channel_rule"
    assert route_new(s, conv(), explicit=Target(type="agent", id="a1")).reason == "explicit"


def test_channel_rule_with_deleted_target_is_skipped() -> None:
    s = snap(agents("o"), channel_rules={"web": Target(type="agent", id="gone")})
    d = route_new(s, conv())
    assert (d.reason, d.detail) == ("round_robin", "unknown_assignee")


def test_ai_routing_round_robin_irrespective_of_human_routing() -> None:
    s = snap(
        agents("o"),
        ai={"b1": True, "b2": True},
        ai_enabled=True,
        ai_agent_ids=("b1", "b2"),
        human_routing="notify_everybody",
        default_agent_id="a1",
    )
    got = []
    for _ in range(4):
        d = route_new(s, conv())
        assert d.reason == "ai_routing" and d.send_welcome and not d.notify_everybody
        assert d.pointer_updates == {AI_SCOPE: d.assignee.id}  # type: ignore[union-attr]
        got.append(d.assignee.id)  # type: ignore[union-attr]
        s = apply_decision(s, d)
    assert got == ["b1", "b2", "b1", "b2"]


def test_ai_routing_with_only_deleted_ai_agents_falls_through() -> None:
    s = snap(agents("o"), ai_enabled=True, ai_agent_ids=("gone",))
    assert route_new(s, conv()).reason == "round_robin"


def test_automatic_round_robin_cycle() -> None:
    s = snap(agents("o", "a", "o", "f", "o"))
    got = []
    for _ in range(6):
        d = route_new(s, conv())
        assert d.reason == "round_robin" and d.status == "open"
        got.append(d.assignee.id)  # type: ignore[union-attr]
        s = apply_decision(s, d)
    assert got == ["a1", "a3", "a5", "a1", "a3", "a5"]
    assert [a.open_count for a in s.agents] == [2, 0, 2, 0, 2]


def test_automatic_nobody_online_goes_to_default_agent_whatever_status() -> None:
    s = snap(agents("a", "f"), default_agent_id="a2")
    d = route_new(s, conv())
    assert (d.assignee, d.reason, d.status, d.detail) == (
        human("a2"),
        "default_agent",
        "open",
        "no_agent_online",
    )


def test_automatic_online_but_all_at_capacity_is_queued_even_with_default() -> None:
    s = snap(agents("o", "o", "a", cap=0), default_agent_id="a3")
    d = route_new(s, conv())
    assert (d.assignee, d.reason, d.status, d.detail) == (
        None,
        "queued",
        "waiting",
        "all_agents_at_capacity",
    )
    assert d.queued


def test_nothing_applies_is_queued() -> None:
    d = route_new(snap(agents("a", "f")), conv())
    assert (d.assignee, d.reason, d.status, d.detail) == (
        None,
        "queued",
        "waiting",
        "no_agent_online",
    )
    d = route_new(snap(), conv())
    assert d.reason == "queued"
    # a deleted default agent counts as none
    assert route_new(snap(agents("a"), default_agent_id="gone"), conv()).reason == "queued"


def test_notify_everybody() -> None:
    s = snap(agents("o", "o"), human_routing="notify_everybody", default_agent_id="a2")
    d = route_new(s, conv())
    assert (d.assignee, d.reason, d.notify_everybody, d.status) == (
        human("a2"),
        "notify_everybody",
        True,
        "open",
    )
    assert d.pointer_updates == {}


def test_notify_everybody_without_default_is_open_unassigned() -> None:
    s = snap(agents("o"), human_routing="notify_everybody")
    d = route_new(s, conv())
    assert (d.assignee, d.reason, d.notify_everybody, d.status, d.detail) == (
        None,
        "notify_everybody",
        True,
        "open",
        "no_default_agent",
    )


# --------------------------------------------------------------------- §4 handoff


def handoff_snap(**kw: object) -> Snapshot:
    kw.setdefault("ai", {"bot1": True, "bot2": True})
    return snap(agents("o", "o", "o"), teams={"t": frozenset({"a3"})}, **kw)  # type: ignore[arg-type]


def test_handoff_empty_assign_to_runs_human_rules() -> None:
    d = decided(handoff(handoff_snap(), ON_BOT, Handoff(assign_to="")))
    assert (d.assignee, d.reason, d.detail) == (human("a1"), "ai_handoff", "round_robin")
    assert d.pointer_updates == {APP_SCOPE: "a1"}


def test_handoff_without_keys_runs_human_rules() -> None:
    d = decided(handoff(handoff_snap(), ON_BOT, Handoff()))
    assert d.reason == "ai_handoff"


def test_handoff_to_agent_by_id_or_email_case_insensitive() -> None:
    s = update_agent(handoff_snap(), "a2", status="offline")
    d = decided(handoff(s, ON_BOT, Handoff(assign_to="a2")))
    assert (d.assignee, d.reason) == (human("a2"), "ai_handoff_agent")
    d = decided(handoff(s, ON_BOT, Handoff(assign_to="a2@EXAMPLE.com")))
    assert (d.assignee, d.reason) == (human("a2"), "ai_handoff_agent")


def test_handoff_to_team() -> None:
    d = decided(handoff(handoff_snap(), ON_BOT, Handoff(assign_team="t")))
    assert (d.assignee, d.reason, d.team_id) == (human("a3"), "ai_handoff_team", "t")
    assert d.pointer_updates == {"team:t": "a3"}


def test_handoff_to_team_nobody_eligible_goes_to_default_agent() -> None:
    s = update_agent(handoff_snap(default_agent_id="a1"), "a3", status="away")
    d = decided(handoff(s, ON_BOT, Handoff(assign_team="t")))
    assert (d.assignee, d.reason, d.team_id, d.detail) == (
        human("a1"),
        "ai_handoff_team",
        "t",
        "team_has_no_eligible_member",
    )
    s = update_agent(handoff_snap(), "a3", status="away")
    d = decided(handoff(s, ON_BOT, Handoff(assign_team="t")))
    assert (d.assignee, d.status, d.reason, d.team_id) == (None, "waiting", "ai_handoff_team", "t")


def test_handoff_to_ai_agent_with_event_or_welcome() -> None:
    ev = AIEvent(name="billing", data={"plan": "pro"})
    d = decided(handoff(handoff_snap(), ON_BOT, Handoff(assign_to="bot2", event=ev)))
    assert (d.assignee, d.reason, d.send_event, d.send_welcome) == (
        bot("bot2"),
        "ai_handoff_ai_agent",
        ev,
        False,
    )
    d = decided(handoff(handoff_snap(), ON_BOT, Handoff(assign_to="bot2")))
    assert (d.send_event, d.send_welcome) == (None, True)


def test_handoff_unknown_assignee_falls_back_with_detail() -> None:
    d = decided(handoff(handoff_snap(), ON_BOT, Handoff(assign_to="who?")))
    assert (d.assignee, d.reason, d.detail) == (human("a1"), "ai_handoff", "unknown_assignee")


def test_handoff_unknown_team_falls_back_with_detail() -> None:
    d = decided(handoff(handoff_snap(), ON_BOT, Handoff(assign_team="nope")))
    assert (d.assignee, d.reason, d.detail, d.team_id) == (
        human("a1"),
        "ai_handoff",
        "unknown_team",
        None,
    )


def test_handoff_both_keys_assign_to_decides_team_sets_team_id() -> None:
    d = decided(handoff(handoff_snap(), ON_BOT, Handoff(assign_to="a1", assign_team="t")))
    assert (d.assignee, d.reason, d.team_id) == (human("a1"), "ai_handoff_agent", "t")
    d = decided(handoff(handoff_snap(), ON_BOT, Handoff(assign_to="", assign_team="t")))
    assert (d.assignee, d.reason, d.team_id) == (human("a3"), "ai_handoff", "t")
    d = decided(handoff(handoff_snap(), ON_BOT, Handoff(assign_to="bot2", assign_team="t")))
    assert (d.assignee, d.team_id) == (bot("bot2"), "t")


@pytest.mark.parametrize(
    ("request_", "reason"), [(HangUp(), "ai_hangup"), (AIFailure(), "ai_error")]
)
def test_hangup_and_error_with_auto_handoff(request_: HangUp | AIFailure, reason: str) -> None:
    d = decided(handoff(handoff_snap(), ON_BOT, request_))
    assert (d.assignee, d.reason) == (human("a1"), reason)


@pytest.mark.parametrize("request_", [HangUp(), AIFailure()])
def test_hangup_and_error_without_auto_handoff_change_nothing(
    request_: HangUp | AIFailure,
) -> None:
    s = handoff_snap(ai={"bot1": False})
    assert handoff(s, ON_BOT, request_) == NoChange(why="auto_handoff_off")
    # explicit payloads are always honoured
    d = decided(handoff(s, ON_BOT, Handoff(assign_to="a2")))
    assert d.assignee == human("a2")


def test_handoff_from_a_bot_that_is_not_the_assignee_changes_nothing() -> None:
    s = handoff_snap()
    assert handoff(s, conv(assignee=human("a1")), Handoff(assign_to="")) == NoChange(
        why="ai_agent_not_assignee"
    )
    assert isinstance(handoff(s, ON_BOT, HangUp(), ai_agent_id="bot2"), NoChange)


def test_human_rules_team_first() -> None:
    s = handoff_snap(human_routing="notify_everybody", default_agent_id="a1")
    d = decided(handoff(s, conv(assignee=bot("bot1"), team_id="t"), HangUp()))
    assert (d.assignee, d.team_id, d.detail, d.notify_everybody) == (
        human("a3"),
        "t",
        "team_round_robin",
        False,
    )


def test_human_rules_notify_everybody() -> None:
    s = handoff_snap(human_routing="notify_everybody", default_agent_id="a2")
    d = decided(handoff(s, ON_BOT, Handoff(assign_to="")))
    assert (d.assignee, d.reason, d.notify_everybody, d.detail) == (
        human("a2"),
        "ai_handoff",
        True,
        "notify_everybody",
    )


def test_human_rules_prefers_eligible_participant() -> None:
    s = handoff_snap()
    c = conv(assignee=bot("bot1"), participants=(human("a2"), human("a3")))
    d = decided(handoff(s, c, Handoff(assign_to="")))
    assert (d.assignee, d.detail, d.pointer_updates) == (human("a2"), "participant", {})
    s = update_agent(s, "a2", status="away")
    d = decided(handoff(s, c, Handoff(assign_to="")))
    assert (d.assignee, d.detail) == (human("a3"), "participant")


def test_human_rules_fallbacks() -> None:
    s = snap(agents("a", "f"), ai={"bot1": True}, default_agent_id="a1")
    d = decided(handoff(s, ON_BOT, AIFailure()))
    assert (d.assignee, d.reason, d.detail, d.status) == (
        human("a1"),
        "ai_error",
        "no_agent_online",
        "open",
    )
    s = snap(agents("o", "a", cap=0), ai={"bot1": True}, default_agent_id="a2")
    d = decided(handoff(s, ON_BOT, AIFailure()))
    assert (d.assignee, d.status, d.detail) == (None, "waiting", "all_agents_at_capacity")
    s = snap(agents("a"), ai={"bot1": True})
    d = decided(handoff(s, ON_BOT, HangUp()))
    assert (d.assignee, d.status, d.detail) == (None, "waiting", "no_agent_online")


# --------------------------------------------------------------------- §5


def test_takeover() -> None:
    s = handoff_snap()
    d = decided(takeover(s, ON_BOT, "a2"))
    assert (d.assignee, d.reason, d.status) == (human("a2"), "takeover", "open")
    refused = takeover(s, conv(assignee=human("a1")), "a2")
    assert refused == Refused(code="not_assigned_to_ai_agent")
    assert isinstance(refused, Refused) and refused.http_status == 409
    assert takeover(s, conv(), "a2") == Refused(code="not_assigned_to_ai_agent")
    assert takeover(s, ON_BOT, "nobody") == Refused(code="unknown_agent")


def test_claim() -> None:
    s = snap(agents("o", "o"), human_routing="notify_everybody", default_agent_id="a1")
    d = decided(claim(s, conv(assignee=human("a1")), "a2"))
    assert (d.assignee, d.reason) == (human("a2"), "claim")
    assert claim(s, conv(status="resolved"), "a2") == Refused(code="conversation_not_open")
    assert claim(s, conv(), "zz") == Refused(code="unknown_agent")


def test_manual_assign_targets() -> None:
    s = handoff_snap()
    c = conv(assignee=human("a1"))
    d = decided(manual_assign(s, c, Target(type="agent", id="a2")))
    assert (d.assignee, d.reason) == (human("a2"), "manual")
    d = decided(manual_assign(s, c, Target(type="team", id="t")))
    assert (d.assignee, d.reason, d.team_id) == (human("a3"), "manual", "t")
    d = decided(manual_assign(s, c, Target(type="ai_agent", id="bot2")))
    assert (d.assignee, d.reason, d.send_welcome) == (bot("bot2"), "manual", True)
    assert manual_assign(s, c, Target(type="agent", id="x")) == Refused(code="unknown_assignee")
    assert manual_assign(s, c, Target(type="team", id="x")) == Refused(code="unknown_team")
    empty_team = update_agent(s, "a3", status="away")
    d = decided(manual_assign(empty_team, c, Target(type="team", id="t")))
    assert (d.status, d.reason, d.team_id) == ("waiting", "manual", "t")


def test_manual_rules_rerun() -> None:
    s = snap(agents("o", "o"), pointers={APP_SCOPE: "a1"})
    d = decided(manual_assign(s, conv(assignee=human("a2")), RULES))
    assert (d.assignee, d.reason, d.detail) == (human("a2"), "manual", "round_robin")
    # the conversation's own load is released before re-running the rules
    full = snap((Agent(id="a1", open_count=1, max_concurrent=1),))
    d = decided(manual_assign(full, conv(assignee=human("a1")), RULES))
    assert (d.assignee, d.detail) == (human("a1"), "round_robin")


def test_agent_offline_reroutes_open_conversations_excluding_agent() -> None:
    s = snap(agents("f", "o", "o"), reassign_on_offline=True)
    s = update_agent(s, "a1", open_count=3)
    convs = [
        conv(id="c1", assignee=human("a1"), participants=(human("a1"),)),
        conv(id="c2", assignee=human("a1"), status="resolved"),
        conv(id="c3", assignee=human("a2")),
        conv(id="c4", assignee=human("a1")),
        conv(id="c5", assignee=human("a1"), participants=(human("a3"),)),
    ]
    out = agent_offline(s, convs, "a1")
    assert isinstance(out, list)
    got = [(cid, d.assignee.id, d.reason, d.detail) for cid, d in out]  # type: ignore[union-attr]
    assert got == [
        ("c1", "a2", "agent_offline", "round_robin"),
        ("c4", "a3", "agent_offline", "round_robin"),
        ("c5", "a3", "agent_offline", "participant"),
    ]


def test_agent_offline_default_agent_is_excluded_too() -> None:
    s = snap(agents("f"), reassign_on_offline=True, default_agent_id="a1")
    out = agent_offline(s, [conv(assignee=human("a1"))], "a1")
    assert isinstance(out, list)
    [(_, d)] = out
    assert (d.assignee, d.status, d.detail) == (None, "waiting", "no_agent_online")


def test_agent_offline_setting_off() -> None:
    s = snap(agents("f", "o"))
    assert agent_offline(s, [conv(assignee=human("a1"))], "a1") == NoChange(
        why="reassign_on_offline_off"
    )


def test_reopen_same_assignee_if_eligible_else_rules() -> None:
    s = snap(agents("o", "o"), pointers={APP_SCOPE: "a1"}, ai={"b": True})
    c = conv(status="resolved", assignee=human("a1"), participants=(human("a1"),))
    d = reopen(s, c)
    assert (d.assignee, d.reason, d.status) == (human("a1"), "reopened", "open")
    d = reopen(update_agent(s, "a1", status="away"), c)
    assert (d.assignee, d.reason, d.detail) == (human("a2"), "reopened", "round_robin")
    d = reopen(s, conv(status="resolved", assignee=bot("b")))
    assert (d.assignee, d.reason) == (bot("b"), "reopened")
    d = reopen(s, conv(status="resolved"))
    assert (d.assignee, d.reason, d.detail) == (human("a2"), "reopened", "round_robin")


# --------------------------------------------------------------------- queue


def test_dequeue_oldest_first_same_rotation() -> None:
    s = snap(agents("o", "o", "o", cap=1), pointers={APP_SCOPE: "a1"})
    s = update_agent(s, "a1", open_count=1)
    waiting = [conv(id=f"w{i}", status="waiting") for i in range(4)]
    out = dequeue(s, waiting)
    assert [(cid, d.assignee.id, d.reason) for cid, d in out] == [  # type: ignore[union-attr]
        ("w0", "a2", "dequeued"),
        ("w1", "a3", "dequeued"),
    ]
    assert out[-1][1].pointer_updates == {APP_SCOPE: "a3"}


def test_dequeue_team_conversations_only_to_team_members() -> None:
    s = snap(agents("o", "a"), teams={"t": frozenset({"a2"})})
    waiting = [conv(id="w0", status="waiting", team_id="t"), conv(id="w1", status="waiting")]
    out = dequeue(s, waiting)
    assert [(cid, d.assignee.id) for cid, d in out] == [("w1", "a1")]  # type: ignore[union-attr]
    assert out[0][1].pointer_updates == {APP_SCOPE: "a1"}
    s = update_agent(s, "a2", status="online")
    out = dequeue(s, waiting[:1])
    assert out[0][1].pointer_updates == {"team:t": "a2"}


def test_dequeue_nobody_eligible() -> None:
    assert dequeue(snap(agents("a", "f")), [conv(status="waiting")]) == []


# --------------------------------------------------------------------- applying


def test_apply_decision_moves_load_and_pointer() -> None:
    s = snap(agents("o", "o"))
    c = conv(assignee=human("a1"))
    s = update_agent(s, "a1", open_count=1)
    d = decided(claim(s, c, "a2"))
    s2 = apply_decision(s, d, previous=c)
    assert [a.open_count for a in s2.agents] == [0, 1]
    c2 = apply_to_conversation(c, d)
    assert c2.assignee == human("a2") and c2.participants == (human("a2"),)
    s3 = apply_decision(s, route_new(s, conv()))
    assert s3.pointers == {APP_SCOPE: "a1"}


def test_apply_queued_decision_counts_nothing() -> None:
    s = snap(agents("o", cap=0))
    d = route_new(s, conv())
    assert apply_decision(s, d) == s


def test_every_reason_code_is_exercised_somewhere() -> None:
    import pathlib

    text = pathlib.Path(__file__).read_text()
    for reason in REASONS:
        assert f'"{reason}"' in text, reason


def test_duplicate_agent_ids_rejected() -> None:
    with pytest.raises(ValueError):
        Snapshot(agents=(Agent(id="x"), Agent(id="x")))


def test_human_rules_direct_with_team_override_exclude_and_detail() -> None:
    s = snap(agents("o", "o", "o"), teams={"t": frozenset({"a1", "a2"})})
    d = human_rules(s, conv(), reason="ai_handoff", team_id="t", exclude={"a1"})
    assert (d.assignee, d.team_id, d.detail) == (human("a2"), "t", "team_round_robin")
    d = human_rules(s, conv(), reason="ai_handoff", detail="unknown_assignee", exclude={"a1"})
    assert (d.assignee, d.detail) == (human("a2"), "unknown_assignee")


# --- business hours (the snapshot says what is closed; the engine decides) ----------


def test_closed_with_queue_new_conversations_wait_and_nothing_is_dequeued() -> None:
    from dataclasses import replace

    s = replace(snap(agents("o", "o"), outside_hours="queue"), closed=True)
    d = route_new(s, conv())
    assert (d.assignee, d.status, d.reason) == (None, "waiting", "outside_hours")
    assert greeting(s, d) == "away_message"
    assert dequeue(s, [conv(id="w1", status="waiting")]) == []
    handed = human_rules(s, ON_BOT, reason="ai_handoff")
    assert (handed.status, handed.detail) == ("waiting", "outside_hours")
    # AI routing works around the clock
    ai = snap(agents("o"), ai={"b": True}, outside_hours="queue", ai_enabled=True)
    ai = replace(ai, settings=replace(ai.settings, ai_agent_ids=("b",)), closed=True)
    assert route_new(ai, conv()).assignee == bot("b")


def test_closed_with_assign_routes_as_usual_but_greets_with_the_away_message() -> None:
    from dataclasses import replace

    s = replace(snap(agents("o")), closed=True)
    d = route_new(s, conv())
    assert (d.assignee, d.reason) == (human("a1"), "round_robin")
    assert greeting(s, d) == "away_message"
    assert greeting(replace(s, closed=False), d) == "welcome_message"


def test_a_closed_team_has_nobody_eligible() -> None:
    from dataclasses import replace

    base = snap(agents("o", "o"), teams={"t": frozenset({"a2"})}, default_agent_id="a1")
    s = replace(base, closed_teams=frozenset({"t"}))
    d = human_rules(s, conv(), reason="ai_handoff", team_id="t")
    assert (d.assignee, d.detail) == (human("a1"), "outside_business_hours")
    queue = replace(s, settings=replace(s.settings, outside_hours="queue"))
    d = human_rules(queue, conv(), reason="ai_handoff", team_id="t")
    assert (d.assignee, d.status, d.detail) == (None, "waiting", "outside_business_hours")
    waiting = [conv(id="w1", status="waiting", team_id="t"), conv(id="w2", status="waiting")]
    assert [cid for cid, _ in dequeue(s, waiting)] == ["w2"]  # the team's one waits
    assert [cid for cid, _ in dequeue(base, waiting)] == ["w1", "w2"]


def test_a_team_open_on_its_own_hours_works_while_the_desk_waits() -> None:
    from dataclasses import replace

    base = snap(agents("o", "o"), teams={"t": frozenset({"a2"})}, outside_hours="queue")
    s = replace(base, closed=True, open_own_hours=frozenset({"t"}))
    waiting = [conv(id="w1", status="waiting"), conv(id="w2", status="waiting", team_id="t")]
    assert [cid for cid, _ in dequeue(s, waiting)] == ["w2"]
    d = human_rules(s, conv(), reason="ai_handoff", team_id="t")
    assert d.assignee == human("a2")
    assert greeting(s, d) == "welcome_message"
    assert greeting(s, route_new(s, conv())) == "away_message"
