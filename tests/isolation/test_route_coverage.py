"""The isolation sweep cannot pass over a route it does not know how to call."""

from __future__ import annotations

import pytest

from tests.isolation.routes import PUBLIC_FILES, Operation, id_routes

KNOWN = [Operation("GET", path) for path in PUBLIC_FILES]


def test_a_route_with_an_id_the_sweep_cannot_fill_fails_it() -> None:
    new = Operation("GET", "/api/v1/gizmos/{gizmo_id}")
    with pytest.raises(AssertionError, match=r"GET /api/v1/gizmos/\{gizmo_id\}: \['gizmo_id'\]"):
        id_routes([*KNOWN, new])


def test_a_route_whose_body_the_sweep_has_no_example_of_fails_it() -> None:
    new = Operation("PATCH", "/api/v1/agents/{agent_id}", body_schema="GizmoUpdate")
    with pytest.raises(AssertionError, match="add a valid GizmoUpdate body to BODIES"):
        id_routes([*KNOWN, new])


def test_a_socket_route_with_an_id_fails_it() -> None:
    new = Operation("WS", "/api/v1/ws/{conversation_id}")
    with pytest.raises(AssertionError, match="WebSocket routes with ids"):
        id_routes([*KNOWN, new])


def test_a_public_file_route_that_went_away_fails_it() -> None:
    with pytest.raises(AssertionError, match="stale PUBLIC_FILES"):
        id_routes(KNOWN[1:])


def test_known_ids_and_bodies_pass() -> None:
    ops = [*KNOWN, Operation("PATCH", "/api/v1/teams/{team_id}", body_schema="TeamUpdate")]
    assert [str(op) for op in id_routes(ops)] == ["PATCH /api/v1/teams/{team_id}"]
