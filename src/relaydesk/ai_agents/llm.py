"""The ``openai`` AI agent: any OpenAI-compatible chat model (OpenAI, Azure OpenAI, vLLM,
Ollama, llama.cpp), grounded in the app's knowledge base, handing over through tools.

Each text or media turn calls ``POST {base_url}/chat/completions`` (the official ``openai``
client) with the system prompt, the contact's language, the conversation's latest
``history_messages`` messages (contact → ``user``; agents and AI agents → ``assistant``) and
the tools ``search_knowledge {query}`` (when ``use_knowledge``), ``handoff_to_human {reason,
team?}`` and ``resolve_conversation {}``. A knowledge search is answered with the top
articles and the model is called again, at most :data:`MAX_TOOL_ROUNDS` times; a handoff or
resolve ends the turn. The reply text may be a Kommunicate custom payload (JSON with
``metadata``), so a prompt can emit quick replies or ``KM_ASSIGN_TO``.

Welcome (and event) turns post ``welcome_message`` if set and never call the model.
Failures: 401/403 and other 4xx fail at once; 429 (its ``Retry-After``), 5xx, timeouts and
connection errors are retried by the turn queue (the client itself never retries). A
refusal or an empty answer is a hang-up (the human rules, if ``auto_handoff``).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import openai
from pydantic import BaseModel, ConfigDict, Field

from relaydesk import outbound
from relaydesk.ai_agents import base
from relaydesk.ai_agents.base import BotMessage, Connector, Turn, TurnResult
from relaydesk.ai_agents.llm_prompt import TOOLS, chat_messages, tool_result

MAX_TOOL_ROUNDS = 5
NO_KEY = "not-needed"  # servers without keys (Ollama, llama.cpp): the client needs a value


class OpenAIConfig(BaseModel):
    """Config of an ``openai`` AI agent."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(default="https://api.openai.com/v1", max_length=2000)
    api_key: str | None = Field(default=None, max_length=4000, repr=False)
    model: str = Field(min_length=1, max_length=200)
    system_prompt: str | None = Field(default=None, max_length=20000)
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1, le=200_000)
    history_messages: int = Field(default=20, ge=1, le=200)
    welcome_message: str | None = Field(default=None, max_length=5000)
    use_knowledge: bool = True
    timeout_s: float = Field(default=60.0, gt=0, le=300)


def _status_error(exc: openai.APIStatusError) -> base.PermanentError | base.TransientError:
    status = exc.status_code
    reason = _reason(exc)
    if status == 429 or status >= 500 or status == 408:
        return base.TransientError(
            f"the model server answered HTTP {status}: {reason}",
            retry_after_s=base.retry_after_seconds(exc.response.headers.get("retry-after")),
        )
    return base.PermanentError(f"the model server answered HTTP {status}: {reason}")


def _reason(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])[:500]
    return str(exc.message)[:500]


def _text_messages(content: str | None) -> list[BotMessage]:
    """The model's reply as bot messages (a custom payload in a code fence is unwrapped)."""
    text = (content or "").strip()
    if text.startswith("```") and text.endswith("```"):
        inner = text.strip("`").strip()
        inner = inner[4:].strip() if inner.lower().startswith("json") else inner
        if inner.startswith("{"):
            text = inner
    if not text:
        return []
    message = base.message_from_text_or_payload(text)
    return [message] if message is not None else []


class OpenAIConnector(Connector):
    """A chat-completions model with function calling."""

    kind: ClassVar[str] = "openai"
    Config: ClassVar[type[BaseModel]] = OpenAIConfig
    url_fields: ClassVar[tuple[str, ...]] = ("base_url",)
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key",)
    _client: openai.AsyncOpenAI | None = None  # made on first use, kept until aclose()

    @property
    def cfg(self) -> OpenAIConfig:
        assert isinstance(self.config, OpenAIConfig)
        return self.config

    @property
    def history_messages(self) -> int:
        return self.cfg.history_messages

    @property
    def uses_knowledge(self) -> bool:
        return self.cfg.use_knowledge

    def _openai(self) -> openai.AsyncOpenAI:
        """The connector's client (one connection pool per AI agent and config)."""
        if self._client is None:
            self._client = openai.AsyncOpenAI(
                base_url=self.cfg.base_url.rstrip("/"),
                api_key=self.cfg.api_key or NO_KEY,
                timeout=self.cfg.timeout_s,
                max_retries=0,  # the turn queue retries, honouring Retry-After
            )
        return self._client

    async def _guard(self) -> None:
        try:  # checked when saved; again now, since what the name resolves to can change
            await outbound.ensure_allowed(self.cfg.base_url)
        except outbound.NotAllowed as exc:
            raise base.PermanentError(f"model server URL not allowed: {exc}") from None

    async def _complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
        extra: dict[str, Any] = {}
        if self.cfg.temperature is not None:
            extra["temperature"] = self.cfg.temperature
        if self.cfg.max_tokens is not None:
            extra["max_tokens"] = self.cfg.max_tokens
        try:
            return await self._openai().chat.completions.create(
                model=self.cfg.model,
                messages=messages,  # type: ignore[arg-type]
                tools=tools,  # type: ignore[arg-type]
                **extra,
            )
        except openai.APIStatusError as exc:
            raise _status_error(exc) from exc
        except openai.APITimeoutError as exc:
            timeout = self.cfg.timeout_s
            raise base.TransientError(f"the model server timed out after {timeout}s") from exc
        except openai.APIConnectionError as exc:
            raise base.TransientError(f"the model server is unreachable: {exc}") from exc
        except openai.APIError as exc:  # a body that is not a chat completion
            raise base.TransientError(f"the model server's answer is not usable: {exc}") from exc

    async def handle(self, turn: Turn) -> TurnResult:
        if turn.kind in ("welcome", "event"):
            messages = _text_messages(self.cfg.welcome_message)
            return TurnResult(messages=messages, state=dict(turn.state))
        await self._guard()
        knowledge = self.uses_knowledge and turn.knowledge is not None
        tools = [t for t in TOOLS if knowledge or t["function"]["name"] != "search_knowledge"]
        conversation = chat_messages(self.cfg.system_prompt, turn, knowledge=knowledge)
        usage = {"prompt_tokens": 0, "completion_tokens": 0}
        rounds = 0
        while True:
            response = await self._complete(conversation, tools)
            if response.usage is not None:
                usage["prompt_tokens"] += response.usage.prompt_tokens or 0
                usage["completion_tokens"] += response.usage.completion_tokens or 0
            if not response.choices:
                return self._hangup(turn, "the model gave no answer", usage)
            reply = response.choices[0].message
            if getattr(reply, "refusal", None):
                return self._hangup(turn, f"the model refused: {reply.refusal}"[:500], usage)
            calls = reply.tool_calls or []
            said = _text_messages(reply.content)
            if not calls:
                if not said:
                    return self._hangup(turn, "the model gave an empty answer", usage)
                return TurnResult(messages=said, state=dict(turn.state), usage=usage)
            if rounds >= MAX_TOOL_ROUNDS:
                if said:
                    return TurnResult(messages=said, state=dict(turn.state), usage=usage)
                return self._hangup(turn, f"no answer after {MAX_TOOL_ROUNDS} tool rounds", usage)
            rounds += 1
            conversation.append(
                {
                    "role": "assistant",
                    "content": reply.content,
                    "tool_calls": [
                        {
                            "id": c.id,
                            "type": "function",
                            "function": {
                                "name": c.function.name,
                                "arguments": c.function.arguments,
                            },
                        }
                        for c in calls
                    ],
                }
            )
            for call in calls:
                ending = self._ending(
                    call.function.name, call.function.arguments, said, turn, usage
                )
                if ending is not None:
                    return ending
            for call in calls:
                content = await tool_result(call.function.name, call.function.arguments, turn)
                conversation.append({"role": "tool", "tool_call_id": call.id, "content": content})

    def _ending(
        self, name: str, arguments: str, said: list[BotMessage], turn: Turn, usage: dict[str, int]
    ) -> TurnResult | None:
        """The result of a handoff or resolve call (they end the turn); None for others."""
        try:
            args = json.loads(arguments or "{}")
        except ValueError:
            args = {}
        args = args if isinstance(args, dict) else {}
        if name == "handoff_to_human":
            reason = str(args.get("reason") or "").strip()[:500] or None
            team = str(args.get("team") or "").strip()[:200]
            handoff = {"KM_ASSIGN_TEAM": team} if team else {"KM_ASSIGN_TO": ""}
            return TurnResult(
                messages=[*said, BotMessage(metadata=handoff)],
                state=dict(turn.state),
                # with a team, the routing's own detail (``unknown_team``) is kept alone
                handoff_detail=None if team else reason,
                usage=usage,
            )
        if name == "resolve_conversation":
            resolve = BotMessage(metadata={"actionRequest": "resolveConversation"})
            return TurnResult(messages=[*said, resolve], state=dict(turn.state), usage=usage)
        return None

    def _hangup(self, turn: Turn, detail: str, usage: dict[str, int]) -> TurnResult:
        return TurnResult(hangup=True, hangup_detail=detail, state=dict(turn.state), usage=usage)

    async def validate(self) -> None:
        """``GET {base_url}/models``: the key is accepted and the model is served."""
        try:
            page = await self._openai().models.list()
            served = [m.id async for m in page]
        except openai.AuthenticationError as exc:
            reason = _reason(exc)
            raise base.ConfigInvalid(f"the model server refused the API key: {reason}") from exc
        except openai.PermissionDeniedError as exc:
            raise base.ConfigInvalid(f"the API key may not list models: {_reason(exc)}") from exc
        except openai.NotFoundError:
            return  # a server without a model list: the model is checked on the first turn
        except openai.APIStatusError as exc:
            raise base.ConfigInvalid(
                f"the model server answered HTTP {exc.status_code}: {_reason(exc)}"
            ) from exc
        except openai.APIConnectionError as exc:
            raise base.ConfigInvalid(f"the model server cannot be reached: {exc}") from exc
        except openai.APIError as exc:
            raise base.ConfigInvalid(f"the model server's model list is not usable: {exc}") from exc
        if self.cfg.model not in served:
            shown = ", ".join(sorted(served)[:20]) or "none"
            raise base.ConfigInvalid(
                f"the model {self.cfg.model!r} is not served here (served: {shown})"
            )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
