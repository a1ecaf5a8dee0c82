"""Every rule and reason code of routing.md, through the HTTP API, on SQLite and PostgreSQL.

Each test gets a fresh app on the session's server (the ``api`` fixture) and checks both the
conversation as returned and its audit trail (``GET /conversations/{id}/assignments``).
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.support import Api, assert_error, new_app
from websockets.sync.client import connect

PASSWORD = "correct horse battery"

# --- helpers -----------------------------------------------------------------------------


def ref(thing: dict[str, Any], type_: str = "agent") -> dict[str, str]:
    return {"type": type_, "id": thing["id"]}


def bot_ref(thing: dict[str, Any]) -> dict[str, str]:
    return ref(thing, "ai_agent")


def person(
    api: Api, status: str = "online", *, login: bool = False, **fields: Any
) -> dict[str, Any]:
    """An agent; with ``login`` they have the password ``PASSWORD`` (hashing is slow)."""
    if login:
        fields["password"] = PASSWORD
    return api.agent(f"{uuid.uuid4().hex[:10]}@example.com", status=status, **fields)


def as_agent(api: Api, agent: dict[str, Any]) -> Api:
    return api.login(agent["email"], PASSWORD)


def ai_agent(api: Api, name: str = "Bot") -> dict[str, Any]:
    """A builtin AI agent that never hands over by itself (auto_handoff off)."""
    config = {
        "intents": [
            {"name": "welcome", "category": "welcome_event", "content": [{"message": "Hi!"}]},
            {"name": "fallback", "category": "fallback_intent", "content": [{"message": "?"}]},
        ]
    }
    body = {"name": name, "kind": "builtin", "config": config, "auto_handoff": False}
    return api.ok(api.post("/api/v1/ai-agents", body), 201)  # type: ignore[no-any-return]


def team(api: Api, *members: dict[str, Any]) -> dict[str, Any]:
    body = {"name": f"team {uuid.uuid4().hex[:6]}", "member_ids": [m["id"] for m in members]}
    return api.ok(api.post("/api/v1/teams", body), 201)  # type: ignore[no-any-return]


def set_agent(api: Api, agent: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return api.ok(api.patch(f"/api/v1/agents/{agent['id']}", changes))  # type: ignore[no-any-return]


def get(api: Api, conv: dict[str, Any]) -> dict[str, Any]:
    return api.ok(api.get(f"/api/v1/conversations/{conv['id']}"))  # type: ignore[no-any-return]


def resolve(api: Api, conv: dict[str, Any]) -> dict[str, Any]:
    path = f"/api/v1/conversations/{conv['id']}"
    return api.ok(api.patch(path, {"status": "resolved"}))  # type: ignore[no-any-return]


def assign(api: Api, conv: dict[str, Any], type_: str, id_: str | None = None) -> Any:
    target: dict[str, Any] = {"type": type_}
    if id_ is not None:
        target["id"] = id_
    return api.post(f"/api/v1/conversations/{conv['id']}/assign", {"assign_to": target})


def who(conv: dict[str, Any]) -> str | None:
    return conv["assignee"]["id"] if conv["assignee"] else None


def row(
    reason: str,
    *,
    to: dict[str, str] | None,
    frm: dict[str, str] | None = None,
    detail: str | None = None,
    team_id: str | None = None,
    actor: str = "api_key",
    actor_id: str | None = None,
) -> dict[str, Any]:
    """The expected audit row (``at`` and the API key's id are not compared)."""
    return {
        "reason": reason,
        "detail": detail,
        "from": frm,
        "to": to,
        "team_id": team_id,
        "actor": actor if actor_id is None else {"type": actor, "id": actor_id},
    }


def trail(api: Api, conv: dict[str, Any]) -> list[dict[str, Any]]:
    """The audit trail in the shape of :func:`row` (actor reduced to its type unless agent)."""
    rows = api.trail(conv["id"])
    out = []
    for r in rows:
        assert set(r) >= {"at", "from", "to", "team_id", "reason", "detail", "actor"}, r
        actor = r["actor"]
        out.append(
            {
                "reason": r["reason"],
                "detail": r["detail"],
                "from": r["from"],
                "to": r["to"],
                "team_id": r["team_id"],
                "actor": actor
                if actor and actor["type"] in ("agent", "contact")
                else (actor["type"] if actor else None),
            }
        )
    return out


def system_texts(api: Api, conv: dict[str, Any]) -> list[str]:
    return [m["text"] for m in api.messages(conv["id"]) if m["sender"]["type"] == "system"]


def greeting_settings(api: Api, **more: Any) -> None:
    api.routing(welcome_message="Welcome!", away_message="We are away.", **more)


# --- §2.1 explicit assignee --------------------------------------------------------------


def test_explicit_assignee_skips_the_rules(api: Api) -> None:
    offline = person(api, "offline")
    member = person(api, "online")
    busy = person(api, "online", max_concurrent=1)
    default = person(api, "away")
    t = team(api, member)
    full = team(api, busy)
    bot = ai_agent(api)
    # the rules alone would send everything to the bot
    api.routing(
        ai_routing={"enabled": True, "ai_agent_ids": [bot["id"]]}, default_agent_id=default["id"]
    )

    c = api.conversation(assign_to=ref(offline))
    assert (c["assignee"], c["status"], c["team_id"]) == (ref(offline), "open", None)
    assert trail(api, c) == [row("explicit", to=ref(offline))]

    c = api.conversation(assign_to={"type": "team", "id": t["id"]})
    assert (c["assignee"], c["team_id"]) == (ref(member), t["id"])
    assert trail(api, c) == [row("explicit", to=ref(member), team_id=t["id"])]

    c = api.conversation(assign_to=bot_ref(bot))
    assert c["assignee"] == bot_ref(bot)
    assert trail(api, c) == [row("explicit", to=bot_ref(bot))]

    api.conversation(assign_to={"type": "team", "id": full["id"]})  # busy is now full
    c = api.conversation(assign_to={"type": "team", "id": full["id"]})
    assert (c["assignee"], c["team_id"], c["status"]) == (ref(default), full["id"], "open")
    assert trail(api, c) == [
        row("explicit", to=ref(default), team_id=full["id"], detail="team_has_no_eligible_member")
    ]


def test_explicit_unknown_id_is_refused_and_nothing_is_stored(api: Api) -> None:
    person(api, "online")
    before = api.ok(api.get("/api/v1/conversations"))["items"]
    for type_ in ("agent", "team", "ai_agent"):
        external_id = f"ghost-{type_}"
        body = {
            "contact": {"external_id": external_id},
            "assign_to": {"type": type_, "id": "nope_123"},
            "message": {"text": "hello"},
        }
        assert_error(api.post("/api/v1/conversations", body), 422)
        contacts = api.ok(api.get("/api/v1/contacts", params={"external_id": external_id}))
        assert contacts["items"] == []
    assert api.ok(api.get("/api/v1/conversations"))["items"] == before


# --- §2.2 channel rules ------------------------------------------------------------------


def test_channel_rules(api: Api) -> None:
    outsider = person(api, "online")
    m1, m2 = person(api, "online"), person(api, "online")
    off = person(api, "offline")
    default = person(api, "away")
    t = team(api, m1, m2)
    bot = ai_agent(api)
    api.routing(
        default_agent_id=default["id"],
        channel_rules=[
            {"channel": "email", "assign_to": ref(off)},
            {"channel": "whatsapp", "assign_to": {"type": "team", "id": t["id"]}},
            {"channel": "sms", "assign_to": bot_ref(bot)},
        ],
    )
    # an agent rule: that agent whatever their status
    c = api.conversation(channel="email")
    assert (c["assignee"], c["status"]) == (ref(off), "open")
    assert trail(api, c) == [row("channel_rule", to=ref(off))]

    # a team rule: round robin among the team's eligible members
    convs = [api.conversation(channel="whatsapp") for _ in range(4)]
    assert [who(c) for c in convs] == [m1["id"], m2["id"], m1["id"], m2["id"]]
    for c in convs:
        assert c["team_id"] == t["id"]
        assert trail(api, c) == [row("channel_rule", to=c["assignee"], team_id=t["id"])]

    # none eligible in the team → the default agent (away), keeping team_id;
    # the outsider, although online, is not in the team
    set_agent(api, m1, status="away")
    set_agent(api, m2, status="offline")
    c = api.conversation(channel="WhatsApp")
    assert (c["assignee"], c["team_id"], c["status"]) == (ref(default), t["id"], "open")
    assert trail(api, c) == [
        row("channel_rule", to=ref(default), team_id=t["id"], detail="team_has_no_eligible_member")
    ]

    # ... and with no default agent it waits, still for the team
    api.routing(default_agent_id=None)
    c = api.conversation(channel="whatsapp")
    assert (c["assignee"], c["team_id"], c["status"]) == (None, t["id"], "waiting")
    assert trail(api, c) == [
        row("queued", to=None, team_id=t["id"], detail="team_has_no_eligible_member")
    ]

    # an AI agent rule
    c = api.conversation(channel="sms")
    assert c["assignee"] == bot_ref(bot)
    assert trail(api, c) == [row("channel_rule", to=bot_ref(bot))]

    # a channel without a rule: the human routing
    c = api.conversation(channel="web")
    assert c["assignee"] == ref(outsider)
    assert trail(api, c) == [row("round_robin", to=ref(outsider))]


# --- §2.3 AI routing ---------------------------------------------------------------------


def test_ai_routing_round_robin_among_selected_ai_agents(api: Api) -> None:
    b0, b1, b2 = ai_agent(api, "b0"), ai_agent(api, "b1"), ai_agent(api, "b2")
    ai_agent(api, "not selected")
    human = person(api, "online")
    # AI routing applies irrespective of human_routing; the app greetings are not sent
    greeting_settings(
        api,
        human_routing="notify_everybody",
        default_agent_id=human["id"],
        ai_routing={"enabled": True, "ai_agent_ids": [b2["id"], b0["id"], b1["id"]]},
    )
    convs = [api.conversation(message={"text": "hello"}) for _ in range(7)]
    order = [b2, b0, b1, b2, b0, b1, b2]
    assert [c["assignee"] for c in convs] == [bot_ref(b) for b in order]
    for c in convs:
        assert c["status"] == "open"
        assert trail(api, c) == [row("ai_routing", to=c["assignee"])]
        assert system_texts(api, c) == []

    # selection changed: the rotation follows the new order, unknown to nobody
    api.routing(ai_routing={"enabled": True, "ai_agent_ids": [b1["id"]]})
    assert api.conversation()["assignee"] == bot_ref(b1)
    api.routing(ai_routing={"enabled": False, "ai_agent_ids": [b1["id"]]})
    c = api.conversation()
    assert c["assignee"] == ref(human)
    assert trail(api, c) == [row("notify_everybody", to=ref(human))]


# --- §1, §2.4 automatic round robin ------------------------------------------------------


def test_round_robin_fixed_cycle_skips_away_and_offline(api: Api) -> None:
    statuses = ["online", "away", "online", "offline", "online"]
    a = [person(api, s, login=i == 3) for i, s in enumerate(statuses)]
    eligible = [a[0], a[2], a[4]]
    n = 8
    convs = [api.conversation() for _ in range(n)]
    assert [who(c) for c in convs] == [eligible[i % 3]["id"] for i in range(n)]
    counts = Counter(who(c) for c in convs)
    assert sorted(counts.values()) == [2, 3, 3]  # ⌊8/3⌋ .. ⌈8/3⌉
    assert set(counts) == {x["id"] for x in eligible}
    for c in convs:
        assert c["status"] == "open"
        assert trail(api, c) == [row("round_robin", to=c["assignee"])]

    # the pointer is at a[2]; a[3] comes back online and joins at their place, owed nothing
    me = as_agent(api, a[3])
    assert me.ok(me.put("/api/v1/agents/me/status", {"status": "online"}))["status"] == "online"
    more = [api.conversation() for _ in range(5)]
    assert [who(c) for c in more] == [x["id"] for x in (a[3], a[4], a[0], a[2], a[3])]

    # a[4] steps away: skipped, the others keep their order
    set_agent(api, a[4], status="away")
    more = [api.conversation() for _ in range(3)]
    assert [who(c) for c in more] == [x["id"] for x in (a[0], a[2], a[3])]


def test_default_agent_when_nobody_is_online(api: Api) -> None:
    default = person(api, "offline")
    person(api, "away")
    greeting_settings(api, default_agent_id=default["id"])
    c = api.conversation(message={"text": "anyone there?"})
    assert (c["assignee"], c["status"]) == (ref(default), "open")
    assert trail(api, c) == [row("default_agent", to=ref(default), detail="no_agent_online")]
    # the away message goes out before the contact's first message
    msgs = api.messages(c["id"])
    assert [(m["sender"]["type"], m["text"]) for m in msgs] == [
        ("system", "We are away."),
        ("contact", "anyone there?"),
    ]
    assert msgs[0]["metadata"].get("relaydesk") == "away_message"

    # nobody online and no default agent: queued
    api.routing(default_agent_id=None)
    c = api.conversation()
    assert (c["assignee"], c["status"]) == (None, "waiting")
    assert trail(api, c) == [row("queued", to=None, detail="no_agent_online")]
    assert system_texts(api, c) == ["We are away."]


def test_welcome_message_for_an_online_assignee(api: Api) -> None:
    online = person(api, "online")
    greeting_settings(api)
    c = api.conversation(message={"text": "hi"})
    assert c["assignee"] == ref(online)
    msgs = api.messages(c["id"])
    assert [(m["sender"]["type"], m["text"]) for m in msgs] == [
        ("system", "Welcome!"),
        ("contact", "hi"),
    ]
    # an explicit offline assignee gets the away message; no texts configured → none
    off = person(api, "offline")
    assert system_texts(api, api.conversation(assign_to=ref(off))) == ["We are away."]
    api.routing(welcome_message=None, away_message=None)
    assert system_texts(api, api.conversation()) == []


# --- §2 queue ----------------------------------------------------------------------------


def test_queued_at_capacity_then_dequeued_oldest_first(api: Api) -> None:
    a = person(api, "online", max_concurrent=1)
    b = person(api, "online", max_concurrent=1)
    default = person(api, "offline")  # not used: someone is online, they are just full
    greeting_settings(api, default_agent_id=default["id"])
    c1, c2 = api.conversation(), api.conversation()
    assert (who(c1), who(c2)) == (a["id"], b["id"])
    waiting = [api.conversation() for _ in range(3)]
    for c in waiting:
        assert (c["assignee"], c["status"]) == (None, "waiting")
        assert trail(api, c) == [row("queued", to=None, detail="all_agents_at_capacity")]
        assert system_texts(api, c) == ["We are away."]
    assert system_texts(api, c1) == ["Welcome!"]

    # a resolves a conversation: the oldest waiting one goes to a
    resolve(api, c1)
    w = [get(api, c) for c in waiting]
    assert [(who(c), c["status"]) for c in w] == [
        (a["id"], "open"),
        (None, "waiting"),
        (None, "waiting"),
    ]
    assert trail(api, w[0]) == [
        row("queued", to=None, detail="all_agents_at_capacity"),
        row("dequeued", to=ref(a), actor="system"),
    ]

    # b gets a higher max_concurrent: the next oldest goes to b
    set_agent(api, b, max_concurrent=2)
    w = [get(api, c) for c in waiting]
    assert [who(c) for c in w] == [a["id"], b["id"], None]
    assert trail(api, w[1])[-1] == row("dequeued", to=ref(b), actor="system")

    # an agent comes online (their own status call): the last one goes to them
    e = person(api, "offline", max_concurrent=1, login=True)
    late = api.conversation()
    assert late["status"] == "waiting"
    me = as_agent(api, e)
    me.ok(me.put("/api/v1/agents/me/status", {"status": "online"}))
    w = [get(api, c) for c in (*waiting, late)]
    assert [who(c) for c in w] == [a["id"], b["id"], e["id"], None]  # oldest first
    assert trail(api, w[2])[-1] == row("dequeued", to=ref(e), actor="system")
    assert trail(api, w[3]) == [row("queued", to=None, detail="all_agents_at_capacity")]
    # nobody over capacity
    loads = Counter(
        who(c) for c in api.ok(api.get("/api/v1/conversations", params={"status": "open"}))["items"]
    )
    assert loads == {a["id"]: 1, b["id"]: 2, e["id"]: 1}


# --- notify everybody, claim ---------------------------------------------------------------


@contextmanager
def event_socket(base_url: str, token: str) -> Iterator[Any]:
    """The app's event socket (``/api/v1/ws``) after its ``ready`` frame."""
    url = base_url.replace("http://", "ws://", 1) + f"/api/v1/ws?token={token}"
    with connect(url, open_timeout=10) as ws:
        ready = json.loads(ws.recv(timeout=10))
        assert ready["type"] == "ready", ready
        yield ws


def _wait_frame(ws: Any, type_: str, conversation_id: str, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if frame["type"] == type_ and frame["data"].get("id") == conversation_id:
            return frame  # type: ignore[no-any-return]


def test_notify_everybody_and_claim(api: Api) -> None:
    default = person(api, "online")
    x, y = person(api, "online", login=True), person(api, "away", login=True)
    api.routing(human_routing="notify_everybody", default_agent_id=default["id"])
    x_api, y_api = as_agent(api, x), as_agent(api, y)
    with event_socket(api.base_url, x_api.token or "") as ws:
        c = api.conversation()
        assert (c["assignee"], c["status"]) == (ref(default), "open")
        assert trail(api, c) == [row("notify_everybody", to=ref(default))]
        frame = _wait_frame(ws, "conversation.notify", c["id"])
        assert frame["data"]["assignee"] == ref(default)

        # anyone may claim it, whatever their status
        claimed = y_api.ok(y_api.post(f"/api/v1/conversations/{c['id']}/claim"))
        assert claimed["assignee"] == ref(y)
        assert trail(api, c)[-1] == row(
            "claim", frm=ref(default), to=ref(y), actor="agent", actor_id=y["id"]
        )

        # without a default agent: open, unassigned, everybody notified
        api.routing(default_agent_id=None)
        c2 = api.conversation()
        assert (c2["assignee"], c2["status"]) == (None, "open")
        assert trail(api, c2) == [row("notify_everybody", to=None, detail="no_default_agent")]
        _wait_frame(ws, "conversation.notify", c2["id"])
    # an API key claims for a named agent
    claimed = api.ok(api.post(f"/api/v1/conversations/{c2['id']}/claim", {"agent_id": x["id"]}))
    assert claimed["assignee"] == ref(x)
    assert trail(api, c2)[-1] == row("claim", to=ref(x))
    assert_error(api.post(f"/api/v1/conversations/{c2['id']}/claim"), 422, "agent_id_required")
    # a resolved conversation cannot be claimed; nothing changes
    resolve(api, c2)
    r = y_api.post(f"/api/v1/conversations/{c2['id']}/claim")
    assert_error(r, 409, "conversation_not_open")
    assert len(trail(api, c2)) == 2


# --- takeover ------------------------------------------------------------------------------


def test_takeover_from_an_ai_agent(api: Api) -> None:
    human = person(api, "online", login=True)
    other = person(api, "online")
    bot = ai_agent(api)
    c = api.conversation(assign_to=bot_ref(bot))
    h_api = as_agent(api, human)
    taken = h_api.ok(h_api.post(f"/api/v1/conversations/{c['id']}/takeover"))
    assert (taken["assignee"], taken["status"]) == (ref(human), "open")
    assert trail(api, c) == [
        row("explicit", to=bot_ref(bot)),
        row("takeover", frm=bot_ref(bot), to=ref(human), actor="agent", actor_id=human["id"]),
    ]
    # now a human is the assignee: 409, nothing changes
    r = h_api.post(f"/api/v1/conversations/{c['id']}/takeover")
    assert_error(r, 409, "not_assigned_to_ai_agent")
    r = api.post(f"/api/v1/conversations/{c['id']}/takeover", {"agent_id": other["id"]})
    assert_error(r, 409, "not_assigned_to_ai_agent")
    assert len(trail(api, c)) == 2 and who(get(api, c)) == human["id"]
    # unassigned (queued) is not an AI agent either
    api.routing(default_agent_id=None)
    for a in (human, other):
        set_agent(api, a, status="offline")
    q = api.conversation()
    assert q["status"] == "waiting"
    assert_error(
        api.post(f"/api/v1/conversations/{q['id']}/takeover", {"agent_id": other["id"]}),
        409,
        "not_assigned_to_ai_agent",
    )
    # an API key takes over for a named agent
    c = api.conversation(assign_to=bot_ref(bot))
    taken = api.ok(api.post(f"/api/v1/conversations/{c['id']}/takeover", {"agent_id": other["id"]}))
    assert taken["assignee"] == ref(other)
    assert trail(api, c)[-1] == row("takeover", frm=bot_ref(bot), to=ref(other))


# --- manual assignment ---------------------------------------------------------------------


def test_manual_assignment(api: Api) -> None:
    a = person(api, "online", max_concurrent=1)
    b = person(api, "online", login=True)
    t = team(api, b)
    bot = ai_agent(api)
    c = api.conversation(assign_to=ref(a))

    assign_ok = api.ok(assign(api, c, "agent", b["id"]))
    assert assign_ok["assignee"] == ref(b)
    assign_ok = api.ok(assign(api, c, "team", t["id"]))
    assert (assign_ok["assignee"], assign_ok["team_id"]) == (ref(b), t["id"])
    assign_ok = api.ok(assign(api, c, "ai_agent", bot["id"]))
    assert assign_ok["assignee"] == bot_ref(bot)
    assign_ok = api.ok(assign(api, c, "rules"))
    assert assign_ok["assignee"] == ref(a)  # round robin starts with a
    assert trail(api, c) == [
        row("explicit", to=ref(a)),
        row("manual", frm=ref(a), to=ref(b)),
        row("manual", frm=ref(b), to=ref(b), team_id=t["id"]),
        row("manual", frm=ref(b), to=bot_ref(bot), team_id=t["id"]),
        row("manual", frm=bot_ref(bot), to=ref(a), team_id=t["id"], detail="round_robin"),
    ]

    # unknown targets: 422, nothing changes
    for type_, code in (
        ("agent", "unknown_assignee"),
        ("ai_agent", "unknown_assignee"),
        ("team", "unknown_team"),
    ):
        assert_error(assign(api, c, type_, "nope_1"), 422, code)
    assert_error(assign(api, c, "agent"), 422)
    assert len(trail(api, c)) == 5

    # an agent's token may assign too (actor recorded)
    b_api = as_agent(api, b)
    b_api.ok(assign(b_api, c, "agent", b["id"]))
    assert trail(api, c)[-1] == row(
        "manual", frm=ref(a), to=ref(b), team_id=t["id"], actor="agent", actor_id=b["id"]
    )

    # "rules" when everybody is at capacity: queued; manual reassignment frees capacity
    set_agent(api, b, max_concurrent=1)
    c2 = api.conversation(assign_to=ref(a))
    r = api.ok(assign(api, c, "rules"))  # b's own conversation is released first → b again
    assert r["assignee"] == ref(b)
    assert trail(api, c)[-1]["detail"] == "round_robin"
    q = api.conversation()
    assert q["status"] == "waiting"
    api.ok(assign(api, c2, "ai_agent", bot["id"]))  # a is free again → q dequeued to a
    q = get(api, q)
    assert (who(q), q["status"]) == (a["id"], "open")
    assert trail(api, q)[-1] == row("dequeued", to=ref(a), actor="system")
    r = api.ok(assign(api, c2, "rules"))
    assert (r["assignee"], r["status"]) == (None, "waiting")
    assert trail(api, c2)[-1] == row("manual", frm=bot_ref(bot), to=None, detail="queued")


# --- reassign on offline -------------------------------------------------------------------


def test_reassign_on_offline(api: Api) -> None:
    a = person(api, "online", login=True)
    b = person(api, "online")
    c = person(api, "online")
    api.routing(reassign_on_offline=True)
    c1 = api.conversation(assign_to=ref(a))
    c2 = api.conversation(assign_to=ref(a))
    c3 = api.conversation(assign_to=ref(a))
    api.say(c3["id"], "I'll help too", sender="agent", sender_extra={"id": c["id"]})
    done = api.conversation(assign_to=ref(a))
    resolve(api, done)
    me = as_agent(api, a)
    me.ok(me.put("/api/v1/agents/me/status", {"status": "away"}))  # away: nothing moves
    assert all(who(get(api, x)) == a["id"] for x in (c1, c2, c3))
    me.ok(me.put("/api/v1/agents/me/status", {"status": "offline"}))
    got = [get(api, x) for x in (c1, c2, c3, done)]
    # round robin (excluding a) for the first two; c3's eligible participant c keeps it
    assert [who(x) for x in got] == [b["id"], c["id"], c["id"], a["id"]]
    assert trail(api, c1)[-1] == row(
        "agent_offline", frm=ref(a), to=ref(b), detail="round_robin", actor="system"
    )
    assert trail(api, c2)[-1] == row(
        "agent_offline", frm=ref(a), to=ref(c), detail="round_robin", actor="system"
    )
    assert trail(api, c3)[-1] == row(
        "agent_offline", frm=ref(a), to=ref(c), detail="participant", actor="system"
    )
    assert len(trail(api, done)) == 1  # resolved conversations stay

    # off: an agent going offline keeps their conversations
    api.routing(reassign_on_offline=False)
    set_agent(api, b, status="offline")
    assert who(get(api, c1)) == b["id"] and len(trail(api, c1)) == 2

    # on, and nobody else online: the default agent, else waiting
    api.routing(reassign_on_offline=True, default_agent_id=a["id"])
    set_agent(api, c, status="offline")
    got = get(api, c2)
    assert (who(got), got["status"]) == (a["id"], "open")
    assert trail(api, c2)[-1] == row(
        "agent_offline", frm=ref(c), to=ref(a), detail="no_agent_online", actor="system"
    )


# --- reopening -----------------------------------------------------------------------------


def test_contact_reopens_a_resolved_conversation(api: Api) -> None:
    a = person(api, "online")
    b = person(api, "online")
    c = api.conversation()
    assert who(c) == a["id"]
    resolve(api, c)
    api.say(c["id"], "one more thing")
    got = get(api, c)
    assert (who(got), got["status"]) == (a["id"], "open")
    assert trail(api, c)[-1] == row(
        "reopened", frm=ref(a), to=ref(a), actor="contact", actor_id=c["contact"]["id"]
    )

    # the former assignee is not eligible any more: the human rules
    resolve(api, c)
    set_agent(api, a, status="away")
    api.say(c["id"], "hello again")
    got = get(api, c)
    assert (who(got), got["status"]) == (b["id"], "open")
    assert trail(api, c)[-1] == row(
        "reopened",
        frm=ref(a),
        to=ref(b),
        detail="round_robin",
        actor="contact",
        actor_id=c["contact"]["id"],
    )
    # an AI assignee is kept
    bot = ai_agent(api)
    ai_conv = api.conversation(assign_to=bot_ref(bot))
    resolve(api, ai_conv)
    api.say(ai_conv["id"], "back")
    got = get(api, ai_conv)
    assert (got["assignee"], got["status"]) == (bot_ref(bot), "open")
    assert trail(api, ai_conv)[-1]["reason"] == "reopened"

    # an unassigned (queued) conversation that was resolved: the §2 rules
    set_agent(api, b, status="offline")
    q = api.conversation()
    assert q["status"] == "waiting"
    resolve(api, q)
    set_agent(api, a, status="online")
    api.say(q["id"], "still there?")
    got = get(api, q)
    assert (who(got), got["status"]) == (a["id"], "open")
    assert trail(api, q)[-1] == row(
        "reopened", to=ref(a), detail="round_robin", actor="contact", actor_id=q["contact"]["id"]
    )


# --- routing settings validation -----------------------------------------------------------


def test_routing_settings_validation(api: Api) -> None:
    a = person(api, "online", login=True)
    t = team(api, a)
    bot = ai_agent(api)
    good = api.routing(
        default_agent_id=a["id"],
        channel_rules=[{"channel": "email", "assign_to": {"type": "team", "id": t["id"]}}],
        ai_routing={"enabled": True, "ai_agent_ids": [bot["id"]]},
        welcome_message="Hi",
    )
    bad_changes: list[dict[str, Any]] = [
        {"default_agent_id": "agt_unknown"},
        {"default_agent_id": t["id"]},
        {"ai_routing": {"enabled": True, "ai_agent_ids": ["ai_unknown"]}},
        {"ai_routing": {"enabled": True, "ai_agent_ids": []}},
        {"ai_routing": {"enabled": True, "ai_agent_ids": [bot["id"], bot["id"]]}},
        {"channel_rules": [{"channel": "sms", "assign_to": {"type": "agent", "id": "x_1"}}]},
        {"channel_rules": [{"channel": "sms", "assign_to": {"type": "team", "id": a["id"]}}]},
        {"channel_rules": [{"channel": "sms", "assign_to": {"type": "ai_agent", "id": "x_1"}}]},
        {
            "channel_rules": [
                {"channel": "sms", "assign_to": ref(a)},
                {"channel": "SMS", "assign_to": bot_ref(bot)},
            ]
        },
    ]
    for change in bad_changes:
        body = {**good, **change, "welcome_message": "changed?"}
        err = assert_error(api.put("/api/v1/routing", body), 422)
        assert err["code"] in ("invalid_routing", "validation_error"), (change, err)
        assert api.ok(api.get("/api/v1/routing")) == good, change
    for change in bad_changes[:4] + bad_changes[5:]:
        assert_error(api.put("/api/v1/routing", {**good, **change}), 422, "invalid_routing")
    # schema errors
    for change in ({"human_routing": "random"}, {"reassign_on_offline": "maybe"}):
        assert_error(api.put("/api/v1/routing", {**good, **change}), 422)
    # a deleted agent is unknown
    gone = person(api, "online")
    api.ok(api.delete(f"/api/v1/agents/{gone['id']}"), 204)
    assert_error(
        api.put("/api/v1/routing", {**good, "default_agent_id": gone["id"]}), 422, "invalid_routing"
    )
    # agents may read but not change the rules; admins may
    agent_api = as_agent(api, a)
    assert agent_api.ok(agent_api.get("/api/v1/routing")) == good
    assert_error(agent_api.put("/api/v1/routing", {**good, "welcome_message": "x"}), 403)
    assert api.ok(api.get("/api/v1/routing")) == good
    admin = person(api, "offline", role="admin", login=True)
    admin_api = as_agent(api, admin)
    changed = admin_api.ok(admin_api.put("/api/v1/routing", {**good, "welcome_message": "Yo"}))
    assert changed["welcome_message"] == "Yo"
    assert api.ok(api.get("/api/v1/routing")) == changed


def test_routing_settings_ids_of_another_app_are_unknown(api: Api) -> None:
    other = new_app(api.base_url)
    stranger = person(other, "online")
    err = assert_error(
        api.put("/api/v1/routing", {"default_agent_id": stranger["id"]}), 422, "invalid_routing"
    )
    assert err["details"]
    assert api.ok(api.get("/api/v1/routing"))["default_agent_id"] is None


# --- deletion leaves nothing stranded ------------------------------------------------------


def test_deleting_an_agent_leaves_nothing_stranded(api: Api) -> None:
    x = person(api, "online")
    gone = person(api, "online")
    b = person(api, "online")
    t = team(api, gone, b)
    api.routing(
        default_agent_id=gone["id"],
        channel_rules=[
            {"channel": "email", "assign_to": ref(gone)},
            {"channel": "sms", "assign_to": {"type": "team", "id": t["id"]}},
        ],
        reassign_on_offline=False,  # deletion re-routes regardless
    )
    r1, r2 = api.conversation(), api.conversation()  # round robin: x, then gone
    assert (who(r1), who(r2)) == (x["id"], gone["id"])
    mail = api.conversation(channel="email")
    resolved = api.conversation(assign_to=ref(gone))
    resolve(api, resolved)
    assert who(mail) == gone["id"]

    api.ok(api.delete(f"/api/v1/agents/{gone['id']}"), 204)
    settings = api.ok(api.get("/api/v1/routing"))
    assert settings["default_agent_id"] is None
    assert settings["channel_rules"] == [
        {"channel": "sms", "assign_to": {"type": "team", "id": t["id"]}}
    ]
    assert api.ok(api.get(f"/api/v1/teams/{t['id']}"))["member_ids"] == [b["id"]]

    # the open conversations were re-routed (human rules, excluding the deleted agent)
    moved = [get(api, c) for c in (r2, mail)]
    assert all(c["status"] == "open" and who(c) in (x["id"], b["id"]) for c in moved)
    for c in moved:
        assert trail(api, c)[-1] == row(
            "agent_offline",
            frm=ref(gone),
            to=c["assignee"],
            detail="agent_deleted",
            actor="system",
        )
    # nothing is left assigned to the deleted agent except resolved history
    left = api.ok(api.get("/api/v1/conversations", params={"assignee_id": gone["id"]}))["items"]
    assert [(c["id"], c["status"]) for c in left] == [(resolved["id"], "resolved")]

    # the rotation continues from the deleted agent's place (b is after them), no restart
    nxt = api.conversation()
    previous = [who(c) for c in moved]
    # the cycle over x, b after the pointer: whoever comes after the last round-robin pick
    assert who(nxt) in (x["id"], b["id"])
    assert Counter([*previous, who(nxt)]) in (
        Counter({x["id"]: 2, b["id"]: 1}),
        Counter({x["id"]: 1, b["id"]: 2}),
    )
    # the email channel no longer has a rule: the human routing decides
    mail2 = api.conversation(channel="email")
    assert trail(api, mail2)[0]["reason"] == "round_robin"
    # the resolved conversation reopens through the rules
    api.say(resolved["id"], "hello?")
    got = get(api, resolved)
    assert got["status"] == "open" and who(got) in (x["id"], b["id"])
    assert trail(api, resolved)[-1]["reason"] == "reopened"
    assert trail(api, resolved)[-1]["detail"] == "round_robin"


def test_deleting_the_rotation_pointer_agent_keeps_the_cycle(api: Api) -> None:
    a = [person(api, "online") for _ in range(4)]
    first = [api.conversation() for _ in range(2)]
    assert [who(c) for c in first] == [a[0]["id"], a[1]["id"]]
    resolve(api, first[1])  # nothing to re-route: the deletion itself moves no pointer
    api.ok(api.delete(f"/api/v1/agents/{a[1]['id']}"), 204)  # the pointer names a[1]
    nxt = [api.conversation() for _ in range(4)]
    # the walk goes on after a[1]'s place: a[2], a[3], a[0], a[2]; not back to a[0]
    assert [who(c) for c in nxt] == [a[2]["id"], a[3]["id"], a[0]["id"], a[2]["id"]]


def test_deleting_a_team_used_by_a_rule_and_waiting_conversations(api: Api) -> None:
    member = person(api, "online", max_concurrent=1)
    outsider = person(api, "away")
    t = team(api, member)
    api.routing(
        channel_rules=[{"channel": "whatsapp", "assign_to": {"type": "team", "id": t["id"]}}]
    )
    w1 = api.conversation(channel="whatsapp")
    assert (who(w1), w1["team_id"]) == (member["id"], t["id"])
    w2 = api.conversation(channel="whatsapp")
    w3 = api.conversation(channel="whatsapp")
    for w in (w2, w3):
        assert (w["status"], w["team_id"]) == ("waiting", t["id"])
    set_agent(api, outsider, status="online", max_concurrent=1)
    # the outsider is online but not in the team: the team's conversations wait for it
    assert get(api, w2)["status"] == "waiting"

    api.ok(api.delete(f"/api/v1/teams/{t['id']}"), 204)
    assert api.ok(api.get("/api/v1/routing"))["channel_rules"] == []
    w1, w2, w3 = get(api, w1), get(api, w2), get(api, w3)
    assert w1["team_id"] is None and who(w1) == member["id"]
    # the oldest waiting one went to the eligible outsider; the next still waits (all full)
    assert (who(w2), w2["status"], w2["team_id"]) == (outsider["id"], "open", None)
    assert (w3["status"], w3["team_id"]) == ("waiting", None)
    assert trail(api, w2) == [
        row("queued", to=None, team_id=t["id"], detail="team_has_no_eligible_member"),
        row("dequeued", to=ref(outsider), actor="system"),
    ]
    # a new whatsapp conversation follows the human routing now
    resolve(api, w1)
    assert who(get(api, w3)) == member["id"]
    set_agent(api, member, max_concurrent=None)
    w4 = api.conversation(channel="whatsapp")
    assert who(w4) == member["id"]
    assert trail(api, w4) == [row("round_robin", to=ref(member))]


def test_reopening_by_patch_strands_nothing(api: Api) -> None:
    a = person(api, "online")
    gone = person(api, "online")
    # queued, then resolved while waiting: reopening runs the rules instead of leaving it
    # open with nobody on it
    set_agent(api, a, status="away")
    set_agent(api, gone, status="away")
    q = api.conversation()
    assert q["status"] == "waiting"
    resolve(api, q)
    set_agent(api, a, status="online")
    got = api.ok(api.patch(f"/api/v1/conversations/{q['id']}", {"status": "open"}))
    assert (who(got), got["status"]) == (a["id"], "open")
    assert trail(api, q)[-1] == row("reopened", to=ref(a), detail="round_robin")

    # resolved with an assignee who was deleted since: the human rules
    c = api.conversation(assign_to=ref(gone))
    resolve(api, c)
    api.ok(api.delete(f"/api/v1/agents/{gone['id']}"), 204)
    got = api.ok(api.patch(f"/api/v1/conversations/{c['id']}", {"status": "open"}))
    assert (who(got), got["status"]) == (a["id"], "open")
    assert trail(api, c)[-1] == row("reopened", frm=ref(gone), to=ref(a), detail="round_robin")

    # an existing assignee is kept as it is (no audit row)
    resolve(api, c)
    got = api.ok(api.patch(f"/api/v1/conversations/{c['id']}", {"status": "open"}))
    assert who(got) == a["id"] and len(trail(api, c)) == 2
