"""The ``lex_v1`` connector (legacy): ``lex-runtime`` PostText."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel

from relaydesk.ai_agents.base import PermanentError, TransientError, Turn, TurnResult
from relaydesk.ai_agents.lex.common import _LexConnector
from relaydesk.ai_agents.lex.config import LexV1Config
from relaydesk.ai_agents.lex.render import v1_messages, v1_problem
from relaydesk.ai_agents.lex.request import lex_session_id, turn_input


class LexV1Connector(_LexConnector[LexV1Config]):
    """Amazon Lex V1 (legacy) through ``lex-runtime`` PostText."""

    kind: ClassVar[str] = "lex_v1"
    Config: ClassVar[type[BaseModel]] = LexV1Config
    label: ClassVar[str] = "Lex V1"

    async def handle(self, turn: Turn) -> TurnResult:
        """Send the turn to PostText and map the answer."""
        text, request_attrs, session_attrs = turn_input(turn)
        runtime = await self.aclient("lex-runtime")
        kwargs: dict[str, Any] = {
            "botName": self.cfg.bot_name,
            "botAlias": self.cfg.bot_alias,
            "userId": lex_session_id(turn.conversation_id),
            "inputText": text,
            "requestAttributes": request_attrs,
        }
        if session_attrs:
            kwargs["sessionAttributes"] = session_attrs
        resp = await self.call("PostText", runtime.post_text, **kwargs)
        problem = v1_problem(resp)
        if problem is not None:
            raise TransientError(f"Lex V1 PostText answered badly: {problem}")
        messages = v1_messages(resp)
        if resp.get("dialogState") == "Failed":
            intent = resp.get("intentName")
            detail = f"Lex V1 dialog failed{f' (intent {intent})' if intent else ''}"
            return TurnResult(
                messages=messages, hangup=True, hangup_detail=detail, state=dict(turn.state)
            )
        return TurnResult(messages=messages, state=dict(turn.state))

    async def validate(self) -> None:
        """GetBotAlias (``lex-models``): proves credentials, region, bot and alias exist."""
        models = await self.aclient("lex-models")
        try:
            await self.call(
                "GetBotAlias",
                models.get_bot_alias,
                name=self.cfg.bot_alias,
                botName=self.cfg.bot_name,
            )
        except (TransientError, PermanentError) as exc:
            missing = f"no Lex V1 bot {self.cfg.bot_name!r} with alias {self.cfg.bot_alias!r}"
            raise self.config_invalid(exc, missing) from None
