from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from relaydesk.conversations.schemas import Channel
from relaydesk.schemas import BusinessHours, Id, In, Out

Text = Annotated[str, StringConstraints(max_length=2000)]


class RuleTarget(In):
    type: Literal["agent", "team", "ai_agent"]
    id: Id


class ChannelRule(In):
    channel: Channel
    assign_to: RuleTarget


class AIRouting(In):
    enabled: bool = False
    ai_agent_ids: list[Id] = Field(default_factory=list, max_length=50)


class AutoResolve(In):
    """Resolve an open conversation whose contact was answered and then went quiet."""

    idle_seconds: int = Field(ge=1, le=365 * 24 * 3600)
    message: Text | None = None  # posted as a system message first


class Csat(In):
    """Ask the contact to rate the conversation when it is resolved."""

    enabled: bool = True
    question: Text | None = None


class RoutingIn(In):
    human_routing: Literal["automatic", "notify_everybody"] = "automatic"
    default_agent_id: Id | None = None
    ai_routing: AIRouting = Field(default_factory=AIRouting)
    channel_rules: list[ChannelRule] = Field(default_factory=list, max_length=100)
    welcome_message: Text | None = None
    away_message: Text | None = None
    reassign_on_offline: bool = False
    auto_resolve: AutoResolve | None = None
    csat: Csat | None = None
    business_hours: BusinessHours | None = None  # null: always open
    outside_hours: Literal["assign", "queue"] = "assign"


class RoutingOut(Out):
    human_routing: str
    default_agent_id: str | None
    ai_routing: AIRouting
    channel_rules: list[ChannelRule]
    welcome_message: str | None
    away_message: str | None
    reassign_on_offline: bool
    auto_resolve: AutoResolve | None = None
    csat: Csat | None = None
    business_hours: BusinessHours | None = None
    outside_hours: str = "assign"
