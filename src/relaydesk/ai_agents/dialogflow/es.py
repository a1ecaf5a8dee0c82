"""The ``dialogflow_es`` connector: Dialogflow ES v2 ``detectIntent`` over REST."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import BaseModel

from relaydesk.ai_agents.base import Turn, TurnResult
from relaydesk.ai_agents.dialogflow.common import _context_payload, _DialogflowBase, session_id
from relaydesk.ai_agents.dialogflow.config import DialogflowESConfig
from relaydesk.ai_agents.dialogflow.render import es_messages
from relaydesk.ai_agents.webhook import MEDIA_EVENT, WELCOME_EVENT


class DialogflowESConnector(_DialogflowBase[DialogflowESConfig]):
    """Dialogflow ES v2 ``detectIntent``."""

    kind: ClassVar[str] = "dialogflow_es"
    Config: ClassVar[type[BaseModel]] = DialogflowESConfig
    _label = "Dialogflow ES"

    def detect_url(self, conversation_id: str) -> str:
        """The detectIntent URL of a conversation's session."""
        p = quote(self.cfg.project_id, safe="")
        s = session_id(conversation_id)
        base = f"{self.cfg.api_endpoint}/v2/projects/{p}/agent"
        if self.cfg.environment:
            env = quote(self.cfg.environment, safe="")
            return f"{base}/environments/{env}/users/-/sessions/{s}:detectIntent"
        return f"{base}/sessions/{s}:detectIntent"

    def request_body(self, turn: Turn) -> dict[str, Any]:
        """The detectIntent request body for one turn."""
        lang = turn.language or self.cfg.language or self.default_language
        query_input: dict[str, Any]
        if turn.kind == "text":
            query_input = {"text": {"text": turn.text or "", "languageCode": lang}}
        elif turn.kind == "event":
            event: dict[str, Any] = {"name": turn.event_name or WELCOME_EVENT, "languageCode": lang}
            if turn.event_data:
                event["parameters"] = turn.event_data
            query_input = {"event": event}
        elif turn.kind == "media":
            query_input = {"event": {"name": MEDIA_EVENT, "languageCode": lang}}
        else:
            query_input = {"event": {"name": WELCOME_EVENT, "languageCode": lang}}
        return {"queryInput": query_input, "queryParams": {"payload": _context_payload(turn)}}

    async def handle(self, turn: Turn) -> TurnResult:
        """Send the turn to detectIntent and map the reply."""
        qr = await self.detect(turn)
        messages = es_messages(qr)
        hangup = qr.get("action") == "input.unknown"
        intent = (qr.get("intent") or {}).get("displayName")
        return TurnResult(
            messages=messages,
            hangup=hangup,
            hangup_detail=f"Dialogflow ES fallback ({intent or 'input.unknown'})"
            if hangup
            else None,
            state=dict(turn.state),
        )

    async def validate(self) -> None:
        """Fetch a token and GET the project's agent."""
        p = quote(self.cfg.project_id, safe="")
        await self._validate_get(
            f"{self.cfg.api_endpoint}/v2/projects/{p}/agent",
            f"Dialogflow ES agent of project {self.cfg.project_id}",
        )
