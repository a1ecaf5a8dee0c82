"""The ``dialogflow_es`` connector: Dialogflow ES v2 ``detectIntent`` over REST."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import BaseModel

from relaydesk.ai_agents.base import Turn, TurnResult
from relaydesk.ai_agents.dialogflow.common import _context_payload, _DialogflowBase
from relaydesk.ai_agents.dialogflow.config import DialogflowESConfig
from relaydesk.ai_agents.dialogflow.render import es_messages
from relaydesk.ai_agents.webhook import MEDIA_EVENT, WELCOME_EVENT


class DialogflowESConnector(_DialogflowBase[DialogflowESConfig]):
    """Dialogflow ES v2 ``detectIntent``."""

    kind: ClassVar[str] = "dialogflow_es"
    Config: ClassVar[type[BaseModel]] = DialogflowESConfig
    _label = "Dialogflow ES"
    _env_sessions = "users/-/sessions"

    def agent_url(self) -> str:
        """The project's agent."""
        return f"{self.cfg.api_endpoint}/v2/projects/{quote(self.cfg.project_id, safe='')}/agent"

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
        await self._validate_get(
            self.agent_url(), f"Dialogflow ES agent of project {self.cfg.project_id}"
        )
