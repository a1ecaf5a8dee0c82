"""Bodies that are not JSON at all, sent as JSON to every operation that takes a body.

Schemathesis (test_schema_fuzz.py) sends what the OpenAPI document describes, valid or
not, always serialized as JSON; raw bytes (invalid UTF-8, truncated JSON, NUL) are what it
cannot express. They never get a 5xx and are answered in the error shape, on each backend.
"""

from __future__ import annotations

import os
import re

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import Api, Server

#: per server: the operations that take a JSON body, with a real id in each path parameter
_OPERATIONS: dict[str, list[tuple[str, str]]] = {}
raw = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([b"{", b'{"text": "a', b"\xff\xfe", b'{"a": "\x00"}', b"[]" * 20]),
)


def _operations(server: Server, api: Api) -> list[tuple[str, str]]:
    if server.url not in _OPERATIONS:
        conversation = api.conversation(message={"text": "hi"})
        real_ids = {
            "conversation_id": conversation["id"],
            "contact_id": conversation["contact"]["id"],
        }
        spec = httpx.get(f"{server.url}/openapi.json").json()
        found = []
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                content = operation.get("requestBody", {}).get("content", {})
                if "application/json" in content:
                    url = re.sub(r"\{(\w+)\}", lambda m: real_ids.get(m.group(1), "x"), path)
                    found.append((method.upper(), url))
        _OPERATIONS[server.url] = sorted(found)
    return _OPERATIONS[server.url]


@settings(
    max_examples=int(os.environ.get("RELAYDESK_FUZZ_EXAMPLES", "50")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_body_that_is_not_json_gets_a_4xx_in_the_error_shape(
    api: Api, server: Server, data: st.DataObject
) -> None:
    method, url = data.draw(st.sampled_from(_operations(server, api)), label="operation")
    body = data.draw(raw, label="body")
    response = api.http.request(
        method, url, content=body, headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500, f"{method} {url} → {response.status_code}"
    error = response.json()["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str), error
