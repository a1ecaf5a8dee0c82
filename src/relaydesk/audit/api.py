"""``/api/v1/audit-log``: the app's admin actions, newest first (admins)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from relaydesk.audit import service
from relaydesk.audit.schemas import AuditEntryOut
from relaydesk.deps import Admin, SessionDep
from relaydesk.errors import Invalid
from relaydesk.schemas import QueryTime

router = APIRouter(prefix="/api/v1", tags=["audit log"])


@router.get("/audit-log")
async def list_audit_log(
    session: SessionDep,
    principal: Admin,
    action: str | None = Query(
        default=None, max_length=40, description='"agent.update", or "agent" for every agent.*'
    ),
    actor_id: str | None = Query(default=None, max_length=40),
    target_type: str | None = Query(default=None, max_length=20),
    target_id: str | None = Query(default=None, max_length=40),
    since: QueryTime | None = Query(default=None, alias="from"),
    until: QueryTime | None = Query(default=None, alias="to"),
    limit: int = Query(default=50, ge=1, le=200),
    cursor: str | None = Query(default=None, max_length=40),
) -> dict[str, list[AuditEntryOut] | str | None]:
    """Settings, agents, teams, AI agents, webhooks and API keys: who changed what, when,
    from which address; ``next_cursor`` fetches the next page."""
    if since is not None and until is not None and since > until:
        raise Invalid('"from" is after "to".')
    rows, next_cursor = await service.list(
        session,
        app_id=principal.app_id or "",
        action=action,
        actor_id=actor_id,
        target_type=target_type,
        target_id=target_id,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )
    return {"items": [service.out(r) for r in rows], "next_cursor": next_cursor}
