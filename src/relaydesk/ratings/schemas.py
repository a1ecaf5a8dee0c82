from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from relaydesk.schemas import STRIP, In, Out, Timestamp


class RatingIn(In):
    score: int = Field(ge=1, le=5, description="1 (bad) to 5 (great)")
    comment: Annotated[str, StringConstraints(max_length=2000), STRIP] | None = None


class RatingOut(Out):
    conversation_id: str
    score: int
    comment: str | None
    agent_id: str | None
    created_at: Timestamp
    updated_at: Timestamp
