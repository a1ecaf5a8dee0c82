"""A contact's rating of a resolved conversation."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.auth.principal import Principal
from relaydesk.conversations import service as conversations
from relaydesk.events import Broker, commit
from relaydesk.ratings import service as ratings
from relaydesk.ratings.schemas import RatingOut


async def rate(
    session: AsyncSession,
    broker: Broker,
    *,
    principal: Principal,
    conversation_id: str,
    score: int,
    comment: str | None,
) -> tuple[RatingOut, bool]:
    """Rate (or re-rate) the conversation's latest resolution; ``conversation.rated`` goes
    to the dashboard, the contact's widget and the webhooks."""
    conversation = await conversations.get_visible(
        session, principal=principal, conversation_id=conversation_id, for_update=True
    )
    rating, created = await ratings.rate(
        session, conversation=conversation, score=score, comment=comment
    )
    result = ratings.out(rating)
    await commit(session, broker)
    return result, created
