"""The ``dialogflow_cx`` connector: Dialogflow CX v3 ``detectIntent`` over REST."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel

from relaydesk.ai_agents.base import Turn, TurnResult
from relaydesk.ai_agents.dialogflow.common import _context_payload, _DialogflowBase
from relaydesk.ai_agents.dialogflow.config import DialogflowCXConfig
from relaydesk.ai_agents.dialogflow.render import cx_messages
from relaydesk.ai_agents.webhook import MEDIA_EVENT


class DialogflowCXConnector(_DialogflowBase[DialogflowCXConfig]):
    """Dialogflow CX v3 ``detectIntent``."""

    kind: ClassVar[str] = "dialogflow_cx"
    Config: ClassVar[type[BaseModel]] = DialogflowCXConfig
    _label = "Dialogflow CX"
    _messages_key = "responseMessages"

    def agent_url(self) -> str:
        """The agent (``projects/P/locations/L/agents/A``) on its regional endpoint."""
        return f"{self.cfg.endpoint}/v3/{self.cfg.agent}"

    def request_body(self, turn: Turn) -> dict[str, Any]:
        """The detectIntent request body for one turn."""
        lang = turn.language or self.default_language
        query_input: dict[str, Any] = {"languageCode": lang}
        params: dict[str, Any] = {"payload": _context_payload(turn)}
        if turn.kind == "text":
            query_input["text"] = {"text": turn.text or ""}
        elif turn.kind == "event":
            query_input["event"] = {"event": turn.event_name or self.cfg.welcome_event}
            if turn.event_data:
                params["parameters"] = turn.event_data
        elif turn.kind == "media":
            query_input["event"] = {"event": MEDIA_EVENT}
        else:
            query_input["event"] = {"event": self.cfg.welcome_event}
        return {"queryInput": query_input, "queryParams": params}

    async def handle(self, turn: Turn) -> TurnResult:
        """Send the turn to detectIntent and map the reply."""
        messages, handoff = cx_messages(await self.detect(turn))
        return TurnResult(messages=messages, human_handoff=handoff, state=dict(turn.state))

    async def validate(self) -> None:
        """Fetch a token and GET the agent."""
        await self._validate_get(self.agent_url(), f"Dialogflow CX agent {self.cfg.agent}")
