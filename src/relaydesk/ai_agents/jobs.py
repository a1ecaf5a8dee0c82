"""The durable bot-turn queue: turns are rows written in the transaction that caused them.

This module holds the write side (:func:`enqueue`); ``worker.py`` claims and runs turns
(see ``docs/turn-queue.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.ai_agents.models import BotTurn
from relaydesk.events import after_commit

_wakeups: list[Callable[[], None]] = []


def on_enqueue(callback: Callable[[], None]) -> None:
    """Register a callable run after a commit that enqueued turns (wakes local workers)."""
    _wakeups.append(callback)


def off_enqueue(callback: Callable[[], None]) -> None:
    """Stop calling ``callback`` (a worker that stops)."""
    if callback in _wakeups:
        _wakeups.remove(callback)


async def enqueue(
    session: AsyncSession,
    *,
    app_id: str,
    conversation_id: str,
    ai_agent_id: str,
    kind: str,
    message_id: str | None = None,
    event: dict[str, Any] | None = None,
) -> BotTurn:
    """Write a turn for the AI agent; it runs after the transaction commits."""
    turn = BotTurn(
        app_id=app_id,
        conversation_id=conversation_id,
        ai_agent_id=ai_agent_id,
        kind=kind,
        message_id=message_id,
        event=event,
    )
    session.add(turn)
    await session.flush()
    for cb in _wakeups:
        after_commit(session, cb)
    return turn
