"""No caller reaches another app's objects, or another contact's, on any route.

The routes come from the server's own route table (:func:`tests.isolation.routes.route_table`),
so a new route is checked without anyone listing it, and a route whose path parameter the
test cannot fill fails it. Two apps A and B each hold one object of every kind. Every route
that takes an id is called with B's ids by each kind of A's tokens (API key, admin agent,
agent, contact), and with contact 1's ids by A's second contact, in every method it has:

- the answer is 404, or 401/403 where B's own token of that kind is refused too (the kind
  may not use the route at all), and it is the same answer as for an id that never existed;
- no answer carries any of B's values (ids, names, texts, secrets, tokens);
- afterwards every GET route answers B (and A) exactly as before;
- A's event sockets heard nothing of B while B was busy, and A's contact nothing of the
  other contact.

Each route is also called by B on its own objects, with the same ids and bodies: one kind
must succeed, or the route was never really exercised.
"""

from __future__ import annotations

import re

from tests.isolation.routes import (
    BODIES,
    PARAM,
    PUBLIC_FILES,
    QUERY_IDS,
    Call,
    Operation,
    call,
    id_routes,
    route_table,
)
from tests.isolation.world import KINDS, Tenant, build_tenant
from tests.realtime.wsclient import EventSocket
from tests.support import Server, wait_until
from tests.webhooks.receiver import Receiver

OWNER_KINDS = ("api_key", "admin", "agent", "contact")
ID = re.compile(r"^([a-z]+_)([0-9A-Za-z]+)$")


def ghost(values: dict[str, str]) -> dict[str, str]:
    """The same values with every id replaced by one of the same shape that never existed."""
    return {k: ID.sub(lambda m: m.group(1) + "0" * len(m.group(2)), v) for k, v in values.items()}


def snapshot(ops: list[Operation], t: Tenant) -> dict[str, tuple[int, str]]:
    """What every GET route answers the tenant's API key, agent and contact."""
    seen = {}
    for op in ops:
        if op.method != "GET" or not op.path.startswith("/api/v1/") or op.path in PUBLIC_FILES:
            continue
        for kind in ("api_key", "agent", "contact"):
            r = call(op, t.tokens[kind], t.values).response
            seen[f"{op} as {kind}"] = (r.status_code, r.text)
    return seen


def deliveries_settled(t: Tenant) -> bool:
    path = f"/api/v1/webhooks/{t.values['webhook_id']}/deliveries"
    items = t.key.ok(t.key.get(path))["items"]
    return bool(items) and all(d["status"] == "done" for d in items)


def busy(a: Tenant, b: Tenant, sockets: list[EventSocket]) -> dict[str, str]:
    """B (and A's other contact) do things while A's sockets listen; the texts they wrote."""
    texts = {"B": b.label("while A listens"), "other_contact": a.label("other contact, later")}
    b.mark(texts["B"])
    a.mark(texts["other_contact"], group="other_contact")
    b_conv = b.values["conversation_id"]
    for sock in sockets:  # there is no such frame (a socket hears its whole app): nothing may
        sock.send({"type": "subscribe", "conversation_id": b_conv})  # come of asking for one
    b.key.say(b_conv, texts["B"])
    b.tokens["contact"].ok(b.tokens["contact"].post(f"/api/v1/conversations/{b_conv}/typing"), 204)
    b.key.ok(b.key.patch(f"/api/v1/contacts/{b.values['contact_id']}", {"language": "fr"}))
    other = a.tokens["other_contact"]
    [own] = other.ok(other.get("/api/v1/conversations"))["items"]
    other.say(own["id"], texts["other_contact"])
    return texts


def attack(op: Operation, kind: str, a: Tenant, b: Tenant) -> dict[str, Call]:
    """A's token of this kind on the victim's objects ("as is"), the same with ids that
    never existed ("never"), and the other ways in the route offers."""
    caller = a.tokens[kind]
    victim = a if kind == "other_contact" else b
    calls = {
        "as is": call(op, caller, victim.values),
        "never": call(op, caller, ghost(victim.values)),
    }
    if "token" in op.query:
        calls["with the token in the query"] = call(op, caller, victim.values, token="query")
    if "sig" in op.query:  # the caller's own valid signature, on the victim's file
        url = a.values["other_contact_upload_url" if kind == "other_contact" else "upload_url"]
        own = dict(p.split("=", 1) for p in url.split("?", 1)[1].split("&"))
        calls["with its own signed URL"] = call(op, caller, victim.values, query=own, token=None)
    return calls


def victim_markers(kind: str, a: Tenant, b: Tenant) -> set[str]:
    if kind == "other_contact":
        return a.markers["app"] | a.markers["contact"]
    return b.all_markers()


def owner_calls(ops: list[Operation], b: Tenant) -> dict[tuple[str, str], Call]:
    """Each route called by B's own tokens on B's objects (deletes on fresh ones, last)."""
    results = {}
    for op in sorted(ops, key=lambda o: o.method == "DELETE"):
        for kind in OWNER_KINDS:
            values = dict(b.values)
            if op.method == "DELETE":
                for param in op.path_params:
                    values.update(b.make(param))
            results[(str(op), kind)] = call(op, b.tokens[kind], values)
    return results


def judge(
    op: Operation, kind: str, calls: dict[str, Call], owner: Call, markers: set[str]
) -> list[str]:
    """What is wrong with the answers A's token of this kind got on the victim's objects."""
    first, never = calls["as is"], calls["never"]
    where = f"{op} as A's {kind}"
    refused = {404} | ({401, 403} if owner.status in (401, 403) else set())
    problems = []
    if first.status not in refused:
        problems.append(f"{where}: {first.status} {first.response.text[:200]} (expected {refused})")
    if (first.status, first.code) != (never.status, never.code):
        problems.append(
            f"{where}: answers {first.status} {first.code} for a foreign id but "
            f"{never.status} {never.code} for one that never existed"
        )
    for how, c in calls.items():
        if leaked := c.leaks(markers):
            problems.append(f"{where} ({how}): the answer holds the victim's {leaked}")
        if how not in ("as is", "never") and c.status not in (401, 403, 404):
            problems.append(f"{where} ({how}): {c.status} {c.response.text[:200]}")
    return problems


def cross_references(ops: list[Operation], a: Tenant, b: Tenant) -> list[str]:
    """A's own objects with B's ids in the body or query: refused, and nothing of B shown."""
    problems = []
    for op in ops:
        refers = bool(PARAM.search(str(BODIES.get(op.body_schema or ""))))
        query = {q: b.values[QUERY_IDS[q]] for q in op.query if q in QUERY_IDS}
        if not (query or refers) or op.path in PUBLIC_FILES:
            continue
        for kind in ("api_key", "admin"):
            c = call(op, a.tokens[kind], a.values, body_values=b.values, query=query)
            if refers and c.status < 400:
                problems.append(f"{op} as A's {kind} with B's ids in the body: {c.status}")
            if leaked := c.leaks(b.all_markers()):
                problems.append(f"{op} as A's {kind} with B's ids: the answer holds {leaked}")
    return problems


def socket_problems(
    sockets: dict[str, EventSocket],
    b_socket: EventSocket,
    a: Tenant,
    b: Tenant,
    texts: dict[str, str],
) -> list[str]:
    """After a message of A that every A socket hears: did any hear anything of B?"""
    b_socket.until(lambda f: f["type"] == "message.created" and f["data"]["text"] == texts["B"])
    marker = a.label("heard by all of A")
    a.key.say(a.values["conversation_id"], marker)
    problems = []
    for kind, sock in sockets.items():
        sock.until(lambda f: f["type"] == "message.created" and f["data"]["text"] == marker)
        heard = str(sock.history + sock.drain(0.2))
        forbidden = b.all_markers() | (a.markers["other_contact"] if kind == "contact" else set())
        if leaked := sorted(m for m in forbidden if m in heard):
            problems.append(f"A's {kind} socket heard {leaked}")
    return problems


def changes(
    t: Tenant, was: dict[str, tuple[int, str]], now: dict[str, tuple[int, str]]
) -> list[str]:
    """The GET answers that differ, each shown from where it starts to differ."""
    problems = []
    for key, (status, text) in was.items():
        after_status, after = now[key]
        if (status, text) != (after_status, after):
            at = next((i for i, (x, y) in enumerate(zip(text, after, strict=False)) if x != y), 0)
            problems.append(
                f"{key} changed for app {t.tag}: {status} …{text[max(0, at - 40) : at + 80]}… "
                f"-> {after_status} …{after[max(0, at - 40) : at + 80]}…"
            )
    return problems


def reached(op: Operation, owners: dict[tuple[str, str], Call]) -> list[str]:
    """Whether app B itself got through this route with the test's ids and body."""
    if any(owners[(str(op), k)].status in (200, 201, 204, 409) for k in OWNER_KINDS):
        return []
    statuses = {k: (owners[(str(op), k)].status, owners[(str(op), k)].code) for k in OWNER_KINDS}
    return [f"{op}: app B itself never got through ({statuses}): fix its creator or body"]


def test_no_route_reaches_another_apps_or_contacts_objects(
    server: Server, receiver: Receiver
) -> None:
    ops = route_table(server.url)
    targets = id_routes(ops)
    assert len(targets) >= 29  # the routes with ids when this test was written, at least
    a = build_tenant(server.url, "A", receiver.url)
    b = build_tenant(server.url, "B", receiver.url)
    sockets = {kind: EventSocket(server.url, a.tokens[kind].token or "") for kind in OWNER_KINDS}
    b_socket = EventSocket(server.url, b.key.token or "")
    try:
        texts = busy(a, b, list(sockets.values()))
        wait_until(lambda: deliveries_settled(a) and deliveries_settled(b), timeout=20)
        before = snapshot(ops, a), snapshot(ops, b)
        attacks = {(str(op), kind): attack(op, kind, a, b) for op in targets for kind in KINDS}
        problems = cross_references(ops, a, b)
        problems += changes(a, before[0], snapshot(ops, a)) + changes(
            b, before[1], snapshot(ops, b)
        )
        problems += socket_problems(sockets, b_socket, a, b, texts)
    finally:
        for sock in [*sockets.values(), b_socket]:
            sock.close()
    owners = owner_calls(targets, b)  # last: B changes its own objects here
    for op in targets:
        problems += reached(op, owners)
        for kind in KINDS:
            owner = owners[(str(op), "contact" if kind == "other_contact" else kind)]
            problems += judge(op, kind, attacks[(str(op), kind)], owner, victim_markers(kind, a, b))
    assert not problems, "\n".join(problems)
