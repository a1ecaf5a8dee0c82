"""``relaydesk demo``'s set-up: the demo app, agents and bot, created once, in one commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk import demo
from relaydesk.events import commit


async def seed_demo(session: AsyncSession) -> dict[str, Any]:
    """Create (or find) the demo app, its agents and its bot; returns what the banner prints."""
    info = await demo.seed(session)
    await commit(session, None)
    return info
