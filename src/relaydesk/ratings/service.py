"""Ratings: given (or changed) for a conversation's latest resolution, read back."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.conversations.models import Conversation
from relaydesk.db import new_id, utcnow
from relaydesk.errors import Conflict, NotFound
from relaydesk.events import emit_about
from relaydesk.ratings.models import Rating
from relaydesk.ratings.schemas import RatingOut


async def get(session: AsyncSession, *, conversation: Conversation) -> Rating:
    """The rating of the conversation's latest resolution, else 404."""
    rating = await _current(session, conversation)
    if rating is None:
        raise NotFound("This conversation has no rating.", code="no_rating")
    return rating


async def _current(session: AsyncSession, conversation: Conversation) -> Rating | None:
    if conversation.resolved_at is None:
        return None
    return await session.scalar(
        select(Rating).where(
            Rating.conversation_id == conversation.id,
            Rating.resolved_at == conversation.resolved_at,
        )
    )


async def rate(
    session: AsyncSession, *, conversation: Conversation, score: int, comment: str | None
) -> tuple[Rating, bool]:
    """Rate the latest resolution, or change its rating; (rating, created).

    Only a resolved conversation is rated (409 ``not_resolved``); the human agent it was
    with is remembered with the rating. Emits ``conversation.rated``.
    """
    if conversation.status != "resolved" or conversation.resolved_at is None:
        raise Conflict("Only a resolved conversation can be rated.", code="not_resolved")
    rating = await _current(session, conversation)
    created = rating is None
    now = utcnow()
    if rating is None:
        rating = Rating(
            id=new_id("rat"),
            app_id=conversation.app_id,
            conversation_id=conversation.id,
            resolved_at=conversation.resolved_at,
            contact_id=conversation.contact_id,
            agent_id=conversation.assignee_id if conversation.assignee_type == "agent" else None,
            created_at=now,
        )
        session.add(rating)
    rating.score, rating.comment, rating.updated_at = score, comment or None, now
    await session.flush()
    emit_about(session, conversation, "conversation.rated", out(rating).model_dump(mode="json"))
    return rating, created


def out(rating: Rating) -> RatingOut:
    return RatingOut.model_validate(rating)
