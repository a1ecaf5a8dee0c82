"""``/api/v1/conversations/{id}/rating``: the contact's satisfaction rating (CSAT)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from relaydesk.actions import ratings as actions
from relaydesk.conversations import service as conversations
from relaydesk.deps import AppPrincipal, BrokerDep, SessionDep
from relaydesk.errors import Forbidden, error_responses
from relaydesk.ratings import service
from relaydesk.ratings.schemas import RatingIn, RatingOut

router = APIRouter(prefix="/api/v1/conversations", tags=["ratings"])


@router.post(
    "/{conversation_id}/rating",
    status_code=201,
    response_model=RatingOut,
    responses={
        200: {"model": RatingOut, "description": "The rating changed"},
        **error_responses(409),
    },
)
async def rate_conversation(
    conversation_id: str,
    body: RatingIn,
    response: Response,
    session: SessionDep,
    principal: AppPrincipal,
    broker: BrokerDep,
) -> RatingOut:
    """The contact rates its resolved conversation (or an API key on its behalf): 201, or
    200 when the same resolution's rating is changed; 409 ``not_resolved`` before that."""
    if principal.kind == "agent":
        raise Forbidden("Only the contact (or an API key) rates a conversation.")
    rating, created = await actions.rate(
        session,
        broker,
        principal=principal,
        conversation_id=conversation_id,
        score=body.score,
        comment=body.comment,
    )
    if not created:
        response.status_code = 200
    return rating


@router.get("/{conversation_id}/rating", response_model=RatingOut)
async def get_rating(
    conversation_id: str, session: SessionDep, principal: AppPrincipal
) -> RatingOut:
    """The rating of the conversation's latest resolution, or 404 ``no_rating``."""
    conversation = await conversations.get_visible(
        session, principal=principal, conversation_id=conversation_id
    )
    return service.out(await service.get(session, conversation=conversation))
