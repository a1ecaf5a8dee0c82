"""Token usage of an AI agent's turns, summed over a time range (language-model kinds)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.ai_agents.models import BotTurn


class UsageOut(BaseModel):
    ai_agent_id: str
    turns: int  # turns answered (done) in the range
    prompt_tokens: int
    completion_tokens: int


async def summed(
    session: AsyncSession,
    *,
    app_id: str,
    ai_agent_id: str,
    start: datetime | None,
    end: datetime | None,
) -> UsageOut:
    """Turns finished in ``[start, end)`` and the tokens they used."""
    query = select(
        func.count(),
        func.coalesce(func.sum(BotTurn.prompt_tokens), 0),
        func.coalesce(func.sum(BotTurn.completion_tokens), 0),
    ).where(
        BotTurn.app_id == app_id,
        BotTurn.ai_agent_id == ai_agent_id,
        BotTurn.status == "done",
        BotTurn.kind.in_(("text", "media")),
    )
    if start is not None:
        query = query.where(BotTurn.finished_at >= start)
    if end is not None:
        query = query.where(BotTurn.finished_at < end)
    turns, prompt, completion = (await session.execute(query)).one()
    return UsageOut(
        ai_agent_id=ai_agent_id,
        turns=int(turns or 0),
        prompt_tokens=int(prompt or 0),
        completion_tokens=int(completion or 0),
    )
