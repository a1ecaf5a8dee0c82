"""The OpenAPI document says every error status a route can answer, in the error shape.

The statuses that come with a route's dependencies and inputs are added here, once for all
routes; a route declares its own further ones with ``responses=error_responses(...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from relaydesk import deps
from relaydesk.errors import error_responses

#: a dependency, and the error statuses a route that uses it can answer
_FROM_DEPENDENCIES: dict[Callable[..., Any], tuple[int, ...]] = {
    # no or a bad token; a contact's website refused (403) or its rate limit (429)
    deps.get_principal: (401, 403, 429, 503),
    deps.get_app_principal: (403,),
    deps.get_staff: (403,),
    deps.get_admin: (403,),
    deps.get_current_agent: (401, 403),
    deps.get_session: (503,),
    deps.get_read_session: (503,),
}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def inferred_statuses(route: APIRoute) -> set[int]:
    """The error statuses this route's inputs and dependencies can answer."""
    dependant = route.dependant
    statuses: set[int] = set()
    for call in _calls(dependant):
        statuses.update(_FROM_DEPENDENCIES.get(call, ()))
    if dependant.path_params:
        statuses |= {400, 404, 422}  # NUL in the path; no such object; too long an id
    if dependant.query_params:
        statuses |= {400, 422}
    if dependant.body_params:
        statuses |= {400, 408, 413, 422}  # not JSON; too slow; too large; invalid fields
    return statuses


def document_errors(router: APIRouter) -> APIRouter:
    """Add the inferred error statuses to the documented responses of the router's routes.

    Done on each router before it is included: the app's included routers are built lazily
    from these routes. Doing it twice changes nothing.
    """
    for route in router.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        missing = inferred_statuses(route) - {int(s) for s in route.responses}
        route.responses.update(error_responses(*sorted(missing)))
    return router
