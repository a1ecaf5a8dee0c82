"""Random bodies, ids and query values against every endpoint of the OpenAPI document.

Whatever arrives, the answer is never a 5xx and errors use the documented envelope.
"""

from __future__ import annotations

import os
import re
import string
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import Api, Server

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=12,
)
FIELDS = [
    "name",
    "email",
    "password",
    "status",
    "role",
    "max_concurrent",
    "member_ids",
    "contact",
    "external_id",
    "channel",
    "message",
    "text",
    "sender",
    "type",
    "id",
    "assign_to",
    "attachments",
    "location",
    "metadata",
    "client_message_id",
    "kind",
    "config",
    "language",
    "human_routing",
    "default_agent_id",
    "ai_routing",
    "channel_rules",
    "url",
    "events",
    "secret",
    "agent_id",
    "title",
    "user_hash",
    "app_id",
]
bodies = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6),
)
raw = st.binary(max_size=64)
#: per server: its operations and the ids of real objects to aim at
_CONTEXT: dict[str, tuple[list[tuple[str, str]], dict[str, str]]] = {}
ids = st.one_of(st.text(string.printable, max_size=50), st.sampled_from(["", "0", "conv_x"]))


def _operations(server: Server) -> list[tuple[str, str]]:
    spec = httpx.get(f"{server.url}/openapi.json").json()
    ops = []
    for path, item in spec["paths"].items():
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                ops.append((method.upper(), path))
    return sorted(ops)


def _fill(path: str, real_ids: dict[str, str], value: str | None) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        return value if value is not None else real_ids.get(name, "x")

    return re.sub(r"\{(\w+)\}", sub, path)


def _check(response: httpx.Response) -> None:
    assert response.status_code < 500, (
        f"{response.request.method} {response.request.url} → {response.status_code}: "
        f"{response.text[:300]}"
    )
    if response.status_code >= 400 and "json" in response.headers.get("content-type", ""):
        body = response.json()
        assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body


@settings(
    max_examples=int(os.environ.get("RELAYDESK_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_input_gives_a_server_error(api: Api, server: Server, data: st.DataObject) -> None:
    if server.url not in _CONTEXT:
        agent = api.agent(name="Fuzz", status="online", password="fuzz-password")
        team = api.ok(api.post("/api/v1/teams", {"name": "T", "member_ids": [agent["id"]]}), 201)
        conv = api.conversation(message={"text": "hi"})
        msg = api.messages(conv["id"])[0]
        real_ids = {
            "agent_id": agent["id"],
            "team_id": team["id"],
            "conversation_id": conv["id"],
            "contact_id": conv["contact"]["id"],
            "message_id": msg["id"],
        }
        _CONTEXT[server.url] = (_operations(server), real_ids)
    operations, real_ids = _CONTEXT[server.url]
    method, path = data.draw(st.sampled_from(operations), label="operation")
    if path in ("/api/v1/ws",) or path.startswith("/static"):
        return
    url = _fill(path, real_ids, data.draw(st.none() | ids, label="path id"))
    params: dict[str, Any] = data.draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "limit",
                    "cursor",
                    "after",
                    "status",
                    "assignee_type",
                    "channel",
                    "external_id",
                    "team_id",
                    "assignee_id",
                ]
            ),
            st.text(string.printable, max_size=20),
            max_size=3,
        ),
        label="query",
    )
    kwargs: dict[str, Any] = {"params": params}
    if method in {"POST", "PUT", "PATCH"}:
        if data.draw(st.booleans(), label="raw body"):
            kwargs["content"] = data.draw(raw, label="bytes")
            kwargs["headers"] = {"content-type": "application/json"}
        else:
            kwargs["json"] = data.draw(bodies, label="body")
    try:
        response = api.http.request(method, url, **kwargs)
    except httpx.InvalidURL:
        return  # the client itself refuses such a URL; nothing reached the server
    _check(response)
