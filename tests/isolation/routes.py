"""The route table of a running server, and how to call any of its operations for a tenant.

The table is the served ``/openapi.json`` plus the routes the schema leaves out (the
WebSocket, the widget's and dashboard's files), read from the app's own routers: a new
route is in it without anyone listing it. A path parameter is filled from a tenant's
objects (see :data:`tests.isolation.world.CREATORS`); a body from :data:`BODIES` by the
name of its schema, with ``{param}`` placeholders filled from a tenant too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import httpx

from relaydesk.app import ROUTERS
from tests.isolation.world import CREATORS
from tests.support import Api

#: path parameters that come with another one's object (an upload's file name)
COMPANIONS = {"name": "upload_id"}

#: routes whose path parameters name no tenant's object: public static files, the same for
#: every caller (each must still be in the route table, or this list is stale)
PUBLIC_FILES = {"/widget/{name}.js", "/static/dashboard/{path:path}"}

#: a valid body per request schema; "{param}" is replaced by the tenant's value
BODIES: dict[str, Any] = {
    "AgentUpdate": {"name": "renamed by someone"},
    "RatingIn": {"score": 3, "comment": "rated by someone"},
    "TeamUpdate": {"name": "renamed by someone", "member_ids": ["{agent_id}"]},
    "ContactUpdate": {"name": "renamed by someone"},
    "ConversationUpdate": {"title": "renamed by someone"},
    "AssignIn": {"assign_to": {"type": "team", "id": "{team_id}"}},
    "TakeoverIn": {"agent_id": "{agent_id}"},
    "MessageIn": {"text": "written by someone", "sender": {"type": "contact"}},
    "ReadIn": {"message_id": "{message_id}"},
    "AIAgentUpdate": {"name": "renamed by someone"},
    "ArticleUpdate": {"title": "renamed by someone"},
}

#: query parameters that name another object, filled like path parameters
QUERY_IDS = {
    "team_id": "team_id",
    "assignee_id": "agent_id",
    "external_id": "external_id",
    "after": "message_id",
}

PARAM = re.compile(r"{(\w+)(?::\w+)?}")


@dataclass(frozen=True)
class Operation:
    """One method of one route."""

    method: str  # GET, POST, …, or WS
    path: str  # the template, e.g. /api/v1/agents/{agent_id}
    query: tuple[str, ...] = ()
    body_schema: str | None = None  # the request body's schema name

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def path_params(self) -> list[str]:
        return PARAM.findall(self.path)

    def unfillable(self) -> list[str]:
        """Path parameters no creator makes (the test must fail on them)."""
        return [p for p in self.path_params if p not in CREATORS and p not in COMPANIONS]


def _schema_name(request_body: dict[str, Any] | None) -> str | None:
    if not request_body:
        return None
    for media in request_body["content"].values():
        schema = media.get("schema", {})
        for candidate in [schema, *schema.get("anyOf", [])]:
            if "$ref" in candidate:
                return str(candidate["$ref"]).rsplit("/", 1)[-1]
    return "<inline schema>"


def route_table(base_url: str) -> list[Operation]:
    """Every operation the server has: its OpenAPI document, then what the schema omits."""
    document = httpx.get(f"{base_url}/openapi.json", timeout=30).json()
    ops: list[Operation] = []
    for path, methods in document["paths"].items():
        for method, spec in methods.items():
            query = tuple(p["name"] for p in spec.get("parameters", []) if p["in"] == "query")
            ops.append(
                Operation(method.upper(), path, query, _schema_name(spec.get("requestBody")))
            )
    in_schema = {(op.method, op.path) for op in ops}
    for router in ROUTERS:
        for route in router.routes:
            methods = getattr(route, "methods", None) or {"WS"}
            for method in sorted(methods - {"HEAD"}):
                path = getattr(route, "path", "")
                if (method, path) not in in_schema:
                    ops.append(Operation(method, path))
    return ops


def fill(template: Any, values: dict[str, str]) -> Any:
    """A body (or string) with its "{param}" placeholders replaced."""
    if isinstance(template, str):
        return PARAM.sub(lambda m: values[m.group(1)], template)
    if isinstance(template, list):
        return [fill(v, values) for v in template]
    if isinstance(template, dict):
        return {k: fill(v, values) for k, v in template.items()}
    return template


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [s for v in value for s in _strings(v)] if isinstance(value, list) else []


def body_for(op: Operation) -> Any:
    if op.body_schema is None:
        return None
    if op.body_schema not in BODIES:
        raise AssertionError(f"{op}: no body for schema {op.body_schema}; add one to BODIES")
    return BODIES[op.body_schema]


@dataclass
class Call:
    """A request made, and what it carried (a response may echo that back)."""

    response: httpx.Response
    carried: set[str]

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def code(self) -> str | None:
        try:
            return str(self.response.json()["error"]["code"])
        except (ValueError, KeyError, TypeError):
            return None

    def leaks(self, markers: set[str]) -> list[str]:
        text = self.response.text
        return sorted(m for m in markers - self.carried if m in text)


def call(
    op: Operation,
    caller: Api,
    values: dict[str, str],
    *,
    body_values: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    token: Literal["header", "query"] | None = "header",
) -> Call:
    """Call the operation with its path filled from ``values`` (and its body from
    ``body_values``, default the same), the caller's token in the header, the query or
    nowhere."""
    path = PARAM.sub(lambda m: quote(values[m.group(1)], safe=""), op.path)
    template = body_for(op)
    body = fill(template, body_values or values) if template is not None else None
    params = dict(query or {})
    headers = {"authorization": ""} if token != "header" else {}
    if token == "query":
        params["token"] = caller.token or ""
    response = caller.http.request(
        op.method, path, json=body, params=params or None, headers=headers or None
    )
    carried = {values[p] for p in op.path_params} | set(params.values())
    carried |= set(_strings(body))
    return Call(response, carried)


def id_routes(ops: list[Operation]) -> list[Operation]:
    """The operations that take an id; fails on a path parameter the test cannot fill."""
    paths = {op.path for op in ops}
    assert paths >= PUBLIC_FILES, f"stale PUBLIC_FILES entries: {PUBLIC_FILES - paths}"
    unknown = [
        f"{op}: {op.unfillable()}" for op in ops if op.path not in PUBLIC_FILES and op.unfillable()
    ]
    assert not unknown, (
        "routes with path parameters the isolation test cannot fill (add a creator to "
        f"CREATORS in tests/isolation/world.py, or the route to PUBLIC_FILES): {unknown}"
    )
    sockets = [str(op) for op in ops if op.method == "WS" and op.path_params]
    assert not sockets, f"WebSocket routes with ids the isolation test cannot open: {sockets}"
    for op in ops:
        if op.body_schema is not None and op.path_params and op.path not in PUBLIC_FILES:
            assert op.body_schema in BODIES, f"{op}: add a valid {op.body_schema} body to BODIES"
    return [op for op in ops if op.path_params and op.path not in PUBLIC_FILES]
