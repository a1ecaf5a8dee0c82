"""The ``dialogflow_cx`` connector: Dialogflow CX v3 ``detectIntent`` over REST."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import BaseModel

from relaydesk.ai_agents.base import Turn, TurnResult
from relaydesk.ai_agents.dialogflow.common import _context_payload, _DialogflowBase, session_id
from relaydesk.ai_agents.dialogflow.config import DialogflowCXConfig
from relaydesk.ai_agents.dialogflow.render import cx_messages
from relaydesk.ai_agents.webhook import MEDIA_EVENT


class DialogflowCXConnector(_DialogflowBase[DialogflowCXConfig]):
    """Dialogflow CX v3 ``detectIntent``."""

    kind: ClassVar[str] = "dialogflow_cx"
    Config: ClassVar[type[BaseModel]] = DialogflowCXConfig
    _label = "Dialogflow CX"

    def detect_url(self, conversation_id: str) -> str:
        """The detectIntent URL of a conversation's session."""
        s = session_id(conversation_id)
        base = f"{self.cfg.endpoint}/v3/{self.cfg.agent}"
        if self.cfg.environment:
            env = quote(self.cfg.environment, safe="")
            return f"{base}/environments/{env}/sessions/{s}:detectIntent"
        return f"{base}/sessions/{s}:detectIntent"

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
        await self._validate_get(
            f"{self.cfg.endpoint}/v3/{self.cfg.agent}", f"Dialogflow CX agent {self.cfg.agent}"
        )
