"""Schemathesis against the served ``/openapi.json``, once with an API key, once with an admin
agent's token, once with a contact's (widget) token (on the widget's operations) and once
with the operator token (creating apps): valid and invalid input to each operation, and
every answer checked: never a 5xx, its status documented for the operation, its content
type and body as documented, invalid input refused, every error in the error shape.

``RELAYDESK_FUZZ_EXAMPLES`` bounds the examples per operation and token kind (default 10,
to fit the suite's budget); ``RELAYDESK_FUZZ_BACKEND=postgres`` fuzzes a PostgreSQL server
instead (``RELAYDESK_TEST_DATABASE_URL``). bench/README.md has the longer run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support import (
    ADMIN_TOKEN,
    Server,
    create_postgres_database,
    drop_postgres_database,
    new_app,
)

EXAMPLES = int(os.environ.get("RELAYDESK_FUZZ_EXAMPLES", "10"))
BACKEND = os.environ.get("RELAYDESK_FUZZ_BACKEND", "sqlite")
PASSWORD = "fuzz-password-1"
#: the fuzz server's settings: no rate limit trips under fuzzing (``0/60`` switches one off),
#: and no tenant URL may reach this machine (none of the objects below needs one)
FUZZ_ENV = {
    "RELAYDESK_RATE_LIMIT_LOGIN": "0/60",
    "RELAYDESK_RATE_LIMIT_LOGIN_ADDRESS": "0/60",
    "RELAYDESK_RATE_LIMIT_WIDGET_SESSION": "0/60",
    "RELAYDESK_RATE_LIMIT_CONTACT": "0/60",
    "RELAYDESK_OUTBOUND_ALLOW_HOSTS": "",
}
#: the operations each token is fuzzed against (None: all of them). The contact's are the
#: widget's side: conversations (where the staff-only ones answer it 403), its own contact,
#: uploads, widget sessions; the operator token may only create apps.
OPERATIONS: dict[str, tuple[str, ...] | None] = {
    "api_key": None,
    "agent": None,
    "contact": (
        "POST /api/v1/conversations",
        "GET /api/v1/conversations",
        "/api/v1/conversations/{conversation_id}",
        "/api/v1/contacts/{contact_id}",
        "POST /api/v1/uploads",
        "POST /api/v1/widget/session",
    ),
    "operator": ("POST /api/v1/apps",),
}

BOT = {
    "intents": [{"name": "fallback", "category": "fallback_intent", "content": [{"message": "?"}]}]
}


def error_shape(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool:
    """Every 4xx and 5xx answer is ``{"error": {"code", "message", "details"?}}``."""
    if response.status_code < 400:
        return True
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) <= {"code", "message", "details"}, error
    assert isinstance(error.get("code"), str) and error["code"], error
    assert isinstance(error.get("message"), str) and error["message"], error
    return True


CHECKS: list[Callable[..., Any]] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    error_shape,
]


class World:
    """One app with a token of each kind and a few objects, so that real ids exist."""

    def __init__(self, server: Server) -> None:
        self.url = server.url
        self.key = new_app(server.url, "fuzz")
        self.key.agent("admin@fuzz.example", name="Admin", password=PASSWORD, role="admin")
        self.agent = self.key.login("admin@fuzz.example", PASSWORD)
        self.contact = self.key.as_token(self._widget_token())
        conversation = self.contact.ok(
            self.contact.post("/api/v1/conversations", {"message": {"text": "hello"}}), 201
        )
        self.ids = {
            "conversation_id": conversation["id"],
            "contact_id": conversation["contact"]["id"],
            # the objects the fuzzer may change or delete are not the callers themselves
            "agent_id": self.fresh("agent_id"),
            "team_id": self.fresh("team_id"),
            "ai_agent_id": self.fresh("ai_agent_id"),
            "webhook_id": self.fresh("webhook_id"),
            "key_id": self.fresh("key_id"),
        }
        self.tokens = {
            "api_key": self.key.token,
            "agent": self.agent.token,
            "contact": self.contact.token,
            "operator": ADMIN_TOKEN,
        }

    def _widget_token(self) -> str:
        body = {"app_id": self.key.app_id, "external_id": f"v-{uuid.uuid4().hex[:8]}"}
        session = httpx.post(f"{self.url}/api/v1/widget/session", json=body, timeout=30)
        return str(self.key.ok(session)["token"])

    def fresh(self, name: str) -> str:
        """The id of a new object of the kind a path parameter names."""
        key = self.key
        unique = uuid.uuid4().hex[:8]
        if name == "agent_id":
            return str(key.agent(f"{unique}@fuzz.example")["id"])
        made = {
            "team_id": lambda: key.post("/api/v1/teams", {"name": f"team {unique}"}),
            "ai_agent_id": lambda: key.post(
                "/api/v1/ai-agents", {"name": f"bot {unique}", "kind": "builtin", "config": BOT}
            ),
            "webhook_id": lambda: key.post(
                "/api/v1/webhooks",
                {"url": "https://hooks.example.com/in", "events": ["*"], "secret": "s" * 16},
            ),
            "key_id": lambda: key.post("/api/v1/api-keys", {"name": f"key {unique}"}),
        }[name]()
        return str(key.ok(made, 201)["id"])

    def token_for(self, kind: str, case: schemathesis.Case) -> str | None:
        """The caller's token; logging out revokes it, so that call gets a token of its own."""
        if kind == "agent" and (case.method.upper(), case.path) == ("POST", "/api/v1/auth/logout"):
            return self.key.login("admin@fuzz.example", PASSWORD).token
        return self.tokens[kind]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("fuzz")
    if BACKEND == "postgres":
        base = os.environ.get("RELAYDESK_TEST_DATABASE_URL")
        if not base:
            pytest.skip("RELAYDESK_FUZZ_BACKEND=postgres needs RELAYDESK_TEST_DATABASE_URL")
        url = create_postgres_database(base)
    else:
        url = f"sqlite+aiosqlite:///{tmp / 'relaydesk.db'}"
    server = Server(database_url=url, env=FUZZ_ENV, workdir=Path(tmp)).start()
    try:
        yield World(server)
    finally:
        server.stop()
        if BACKEND == "postgres":
            drop_postgres_database(url)


@pytest.fixture(scope="module", params=list(OPERATIONS))
def token_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _operations(world: World, token_kind: str) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{world.url}/openapi.json")
    wanted = OPERATIONS[token_kind]
    operations = [result.ok() for result in schema.get_all_operations()]
    if wanted is None:
        return operations
    return [o for o in operations if any(o.label == w or o.path.startswith(w) for w in wanted)]


def _fuzz(world: World, token_kind: str, operation: Any) -> None:
    """EXAMPLES cases of one operation, valid and invalid, each checked."""
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    checks = CHECKS
    if any(body.media_type.startswith("multipart/") for body in operation.body):
        # whatever a negated file part holds (a number, null) is sent as bytes: a valid file
        checks = [c for c in CHECKS if c is not negative_data_rejection]

    @given(case=cases, use_real_ids=st.booleans())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: schemathesis.Case, use_real_ids: bool) -> None:
        if use_real_ids and case.path_parameters:
            for name in list(case.path_parameters):
                if name in world.ids:
                    destroy = case.method.upper() == "DELETE" and name != "conversation_id"
                    case.path_parameters[name] = world.fresh(name) if destroy else world.ids[name]
        token = world.token_for(token_kind, case)
        headers = {"authorization": f"Bearer {token}"} if token else {}
        case.call_and_validate(headers=headers, checks=checks, timeout=30)

    run()


def test_every_operation_answers_as_documented(world: World, token_kind: str) -> None:
    failures = []
    for operation in _operations(world, token_kind):
        try:
            _fuzz(world, token_kind, operation)
        except (Exception, FailureGroup) as exc:  # noqa: BLE001 - report every operation
            failures.append(f"{operation.label}: {exc}")
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)
