"""Applies routing decisions to conversations (seams called by the other domains).

Until the routing engine is wired in, new conversations stay unassigned and open.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.agents.models import Agent
from relaydesk.conversations.models import Conversation
from relaydesk.messages.models import Message
from relaydesk.teams.models import Team

Actor = tuple[str, str | None]


async def route_new(
    session: AsyncSession,
    *,
    conversation: Conversation,
    explicit: dict[str, Any] | None,
    actor: Actor,
) -> None:
    """Route a conversation that was just created (routing.md §2, §3)."""


async def contact_wrote(
    session: AsyncSession, *, conversation: Conversation, message: Message
) -> None:
    """A contact's message was stored: reopen resolved conversations, feed AI agents."""


async def status_changed(
    session: AsyncSession, *, conversation: Conversation, previous: str, actor: Actor
) -> None:
    """A conversation was resolved, reopened or marked spam."""


async def agent_changed(
    session: AsyncSession, *, agent: Agent, previous_status: str, previous_max: int | None
) -> None:
    """An agent's status or capacity changed: dequeue, or re-route on offline."""


async def team_deleted(session: AsyncSession, *, team: Team) -> None:
    """A team is being deleted: drop it from rules and conversations."""
