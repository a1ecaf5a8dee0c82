"""A third-party relaydesk connector, installed as a package of its own.

``pip install ./examples/echo-connector`` next to relaydesk and restart the server: AI agents
of kind ``echo`` can then be created over the API like the built-in kinds. The bot greets,
echoes what the contact writes with the configured prefix, and hands the conversation to
the humans when asked for one.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from relaydesk.ai_agents.base import BotMessage, Connector, Turn, TurnResult, quick_replies


class EchoConfig(BaseModel):
    """What an admin sends as ``config`` when creating an ``echo`` AI agent."""

    model_config = ConfigDict(extra="forbid")
    prefix: str = Field(default="You said: ", max_length=40)
    api_key: str = Field(min_length=8)  # a secret: stored encrypted, shown as "****"


class EchoConnector(Connector):
    kind: ClassVar[str] = "echo"
    Config: ClassVar[type[BaseModel]] = EchoConfig
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key",)

    async def handle(self, turn: Turn) -> TurnResult:
        config = self.config
        assert isinstance(config, EchoConfig)
        if turn.kind == "welcome":
            return TurnResult(messages=[quick_replies(["human"], text="Echo bot here.")])
        if (turn.text or "").strip().lower() == "human":
            return TurnResult(messages=[BotMessage(text="Handing you over.")], human_handoff=True)
        count = int(turn.state.get("count", 0)) + 1  # per-conversation state, kept by relaydesk
        text = f"{config.prefix}{turn.text or ''} (#{count})"
        return TurnResult(messages=[BotMessage(text=text)], state={"count": count})
