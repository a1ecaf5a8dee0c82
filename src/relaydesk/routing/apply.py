"""Writes an engine decision: the conversation, rotation pointers, the audit trail, events.

:class:`Router` holds one routing operation's locked settings and keeps its snapshot
current as decisions are applied, so a run of decisions (the queue) sees each other's load.
It records what it applied (:attr:`Router.applied`): the action that owns the transaction
starts the AI turns those decisions ask for (a welcome, a named event).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.conversations.models import Assignment, Conversation
from relaydesk.conversations.service import add_participant, out
from relaydesk.db import utcnow
from relaydesk.events import Event, emit, emit_about
from relaydesk.routing import engine
from relaydesk.routing.models import RotationPointer, RoutingSettings
from relaydesk.routing.snapshot import conversation_view, load_snapshot, lock_settings

Actor = tuple[str, str | None]
SYSTEM: Actor = ("system", None)
#: a conversation and the decision written for it
Applied = tuple[Conversation, engine.Decision]


async def _save_pointer(session: AsyncSession, *, app_id: str, scope: str, last_id: str) -> None:
    """Move a rotation pointer: one upsert statement (the row may not exist yet)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(RotationPointer).values(app_id=app_id, scope=scope, last_id=last_id)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["app_id", "scope"], set_={"last_id": stmt.excluded.last_id}
        )
    )


class Router:
    """One routing operation on one app: the locked settings and a snapshot kept current."""

    def __init__(self, session: AsyncSession, settings: RoutingSettings, snap: engine.Snapshot):
        self.session = session
        self.settings = settings
        self.snapshot = snap
        self.applied: list[Applied] = []

    @classmethod
    async def open(cls, session: AsyncSession, *, app_id: str) -> Router:
        settings = await lock_settings(session, app_id=app_id)
        return cls(session, settings, await load_snapshot(session, settings=settings))

    async def apply(
        self,
        conversation: Conversation,
        decision: engine.Decision,
        *,
        actor: Actor,
        detail: str | None = None,
    ) -> None:
        """Write the decision: conversation, pointers, audit row, participant, events."""
        session = self.session
        before = conversation_view(conversation)  # apply_decision reads status and assignee
        prev_type, prev_id = conversation.assignee_type, conversation.assignee_id
        new = decision.assignee
        conversation.assignee_type = new.type if new else None
        conversation.assignee_id = new.id if new else None
        conversation.status = decision.status
        conversation.team_id = decision.team_id
        now = utcnow()
        conversation.updated_at = now
        if decision.status == "waiting":
            conversation.queued_at = conversation.queued_at or now
        else:
            conversation.queued_at = None
        for scope, last_id in decision.pointer_updates.items():
            await _save_pointer(session, app_id=conversation.app_id, scope=scope, last_id=last_id)
        session.add(
            Assignment(
                app_id=conversation.app_id,
                conversation_id=conversation.id,
                at=now,
                from_type=prev_type,
                from_id=prev_id,
                to_type=new.type if new else None,
                to_id=new.id if new else None,
                team_id=decision.team_id,
                reason=decision.reason,
                detail=decision.detail or detail,
                actor_type=actor[0],
                actor_id=actor[1],
            )
        )
        if new is not None:
            await add_participant(
                session, conversation_id=conversation.id, type_=new.type, id_=new.id
            )
        await session.flush()
        self.snapshot = engine.apply_decision(self.snapshot, decision, previous=before)
        await _emit_assigned(session, conversation, decision, actor)
        self.applied.append((conversation, decision))

    async def dequeue(self, *, actor: Actor = SYSTEM, limit: int = 500) -> int:
        """Assign waiting conversations, oldest first, while someone is eligible."""
        if not any(a.eligible for a in self.snapshot.agents):
            return 0
        waiting = list(
            await self.session.scalars(
                select(Conversation)
                .where(
                    Conversation.app_id == self.settings.app_id, Conversation.status == "waiting"
                )
                .order_by(Conversation.queued_at, Conversation.created_at, Conversation.id)
                .limit(limit)
                .with_for_update()
            )
        )
        if not waiting:
            return 0
        by_id = {c.id: c for c in waiting}
        decisions = engine.dequeue(self.snapshot, [conversation_view(c) for c in waiting])
        for conversation_id, decision in decisions:
            await self.apply(by_id[conversation_id], decision, actor=actor)
        return len(decisions)


async def _emit_assigned(
    session: AsyncSession, conversation: Conversation, decision: engine.Decision, actor: Actor
) -> None:
    data = (await out(session, conversation)).model_dump(mode="json")
    data["assignment"] = {
        "reason": decision.reason,
        "detail": decision.detail,
        "actor": {"type": actor[0], "id": actor[1]},
    }
    emit_about(session, conversation, "conversation.assigned", data)
    if decision.notify_everybody:
        emit(
            session,
            Event(
                type="conversation.notify",
                app_id=conversation.app_id,
                conversation_id=conversation.id,
                data=data,
            ),
        )
