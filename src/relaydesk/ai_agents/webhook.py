"""The ``webhook`` connector: a bot behind your own URL, in the Kommunicate custom-bot format.

Request (``POST url``, JSON, the configured ``headers`` added)::

    {"botId": "<AI agent id>", "key": "<message id>", "from": "<contact external_id>",
     "message": "<text, or '' for welcome/event/media without a caption>",
     "groupId": "<conversation id>", "contentType": 0, "applicationId": "<app id>",
     "applicationKey": "<app id>", "source": 1,
     "eventName": "WELCOME | KOMMUNICATE_MEDIA_EVENT | <event name>",   # absent for text
     "eventData": {...},                                             # event turns only
     "metadata": {<the contact message's metadata>,
                  "KM_CHAT_CONTEXT": {<contact chat context>, "kmUserLanguageCode": "en-US",
                                      "attachments": [{"type": mime|"location", "payload": {}}]}},
     "createdAt": 1763700000000}

``key`` is the contact's message id; turns without one (welcome, events) send the turn's own
id (``turn_<n>``), the same on every retry, so a bot can recognise a repeated turn.
Event data (bot-to-bot handoff ``event {name, data}``) is sent as top-level ``eventData``.

Response: a JSON array of ``{message, metadata?, platform?}``; each item is a custom payload
(``ai-agents.md``). A ``message`` string holding a JSON custom payload object is unwrapped;
any other string is text. Non-2xx answers, timeouts and bodies that are not such an array
are failures: 408/429/5xx, timeouts and bad bodies are transient, other statuses permanent.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from relaydesk import outbound
from relaydesk.ai_agents.base import (
    BotMessage,
    ConfigInvalid,
    Connector,
    PermanentError,
    TransientError,
    Turn,
    TurnResult,
    message_from_payload,
    retry_after_seconds,
)

MEDIA_EVENT = "KOMMUNICATE_MEDIA_EVENT"
#: a bot answer larger than this is not read to the end: the turn fails (no retry)
MAX_REPLY_BYTES = 1024 * 1024
WELCOME_EVENT = "WELCOME"
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_PAYLOAD_KEYS = {"message", "metadata", "platform"}


async def _read_capped(resp: httpx.Response, limit: int) -> bytes:
    """The body, or PermanentError as soon as it grows past ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise PermanentError(f"webhook bot answer is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def km_attachments(turn: Turn) -> list[dict[str, Any]]:
    """The turn's attachments/location in the Kommunicate ``[{type, payload}]`` format."""
    out: list[dict[str, Any]] = []
    for a in turn.attachments:
        payload = {k: a[k] for k in ("url", "name", "size") if a.get(k) is not None}
        out.append({"type": a.get("mime_type") or "application/octet-stream", "payload": payload})
    if turn.location:
        out.append(
            {
                "type": "location",
                "payload": {"lat": turn.location.get("lat"), "lon": turn.location.get("lon")},
            }
        )
    return out


def event_name_of(turn: Turn) -> str | None:
    """The Kommunicate event name a non-text turn is sent as (None for text turns)."""
    if turn.kind == "welcome":
        return WELCOME_EVENT
    if turn.kind == "media":
        return MEDIA_EVENT
    if turn.kind == "event":
        return turn.event_name or WELCOME_EVENT
    return None


class WebhookConfig(BaseModel):
    """Config of a ``webhook`` AI agent."""

    model_config = ConfigDict(extra="forbid")

    url: str
    headers: dict[str, str] = Field(default_factory=dict, repr=False)
    timeout_s: float = Field(default=30.0, gt=0, le=300)

    @field_validator("url")
    @classmethod
    def _absolute_http_url(cls, v: str) -> str:
        """The URL must be an absolute http(s) URL with a host."""
        parts = urlsplit(v.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url must be an absolute http:// or https:// URL")
        return v.strip()

    @field_validator("headers")
    @classmethod
    def _valid_headers(cls, v: dict[str, str]) -> dict[str, str]:
        """Header names must be HTTP tokens and values free of line breaks."""
        for name, value in v.items():
            if not _HEADER_NAME.match(name):
                raise ValueError(f"invalid header name {name!r}")
            if "\r" in value or "\n" in value:
                raise ValueError(f"header {name!r} has a line break in its value")
        return v


def build_request(turn: Turn, *, bot_id: str) -> dict[str, Any]:
    """The Kommunicate custom-bot request body for one turn."""
    context: dict[str, Any] = dict(turn.chat_context)
    context["kmUserLanguageCode"] = turn.language
    context["attachments"] = km_attachments(turn)
    metadata = {k: v for k, v in turn.metadata.items() if k != "KM_CHAT_CONTEXT"}
    metadata["KM_CHAT_CONTEXT"] = context
    body: dict[str, Any] = {
        "botId": bot_id,
        "key": turn.message_id or turn.turn_id or uuid.uuid4().hex,
        "from": turn.contact.external_id,
        "message": turn.text or "",
        "groupId": turn.conversation_id,
        "contentType": 0,
        "applicationId": turn.app_id,
        "applicationKey": turn.app_id,
        "source": 1,
        "metadata": metadata,
        "createdAt": int(time.time() * 1000),
    }
    event = event_name_of(turn)
    if event is not None:
        body["eventName"] = event
    if turn.kind == "event":
        body["eventData"] = turn.event_data or {}
    return body


def _item_message(item: Any) -> BotMessage | None:
    """One response array item as a bot message; ValueError when it is not a valid item."""
    if isinstance(item, str):
        return BotMessage(text=item) if item else None
    if not isinstance(item, dict):
        raise ValueError(f"array item is a {type(item).__name__}, not an object")
    message = item.get("message")
    if isinstance(message, str) and "metadata" not in item:
        stripped = message.strip()
        if stripped.startswith("{"):
            try:
                inner = json.loads(stripped)
            except ValueError:
                inner = None
            if isinstance(inner, dict) and _PAYLOAD_KEYS & inner.keys():
                item = {**inner, "platform": item.get("platform", inner.get("platform"))}
    if item.get("metadata") is not None and not isinstance(item.get("metadata"), dict):
        raise ValueError("metadata must be an object")
    msg = message_from_payload(item)
    if msg is None or (msg.text is None and not msg.metadata):
        return None
    return msg


def parse_response(body: Any) -> list[BotMessage]:
    """Map a webhook answer (a JSON array of custom payloads) to bot messages."""
    if not isinstance(body, list):
        raise ValueError(f"expected a JSON array, got {type(body).__name__}")
    messages: list[BotMessage] = []
    for item in body:
        msg = _item_message(item)
        if msg is not None:
            messages.append(msg)
    return messages


class WebhookConnector(Connector):
    """A custom bot reached with one POST per turn."""

    kind: ClassVar[str] = "webhook"
    Config: ClassVar[type[BaseModel]] = WebhookConfig
    secret_fields: ClassVar[tuple[str, ...]] = ("headers",)
    url_fields: ClassVar[tuple[str, ...]] = ("url",)

    def __init__(self, config: BaseModel, *, ai_agent_id: str, default_language: str) -> None:
        super().__init__(config, ai_agent_id=ai_agent_id, default_language=default_language)
        assert isinstance(config, WebhookConfig)
        self.cfg: WebhookConfig = config
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        """The connector's reused HTTP client."""
        if self._client is None:
            t = self.cfg.timeout_s
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(t, connect=min(t, 10.0)),
                follow_redirects=False,
                headers={"User-Agent": "relaydesk-webhook/1"},
            )
        return self._client

    async def handle(self, turn: Turn) -> TurnResult:
        """POST the turn to the bot and map its array answer."""
        try:  # checked when saved; again now, since what the name resolves to can change
            await outbound.ensure_allowed(self.cfg.url)
        except outbound.NotAllowed as exc:
            raise PermanentError(f"webhook bot URL not allowed: {exc}") from None
        body = build_request(turn, bot_id=self.ai_agent_id)
        headers = {"Content-Type": "application/json", **self.cfg.headers}
        try:
            async with self._http().stream(
                "POST", self.cfg.url, json=body, headers=headers
            ) as resp:
                status = resp.status_code
                if status in (408, 429) or status >= 500:
                    raise TransientError(
                        f"webhook bot answered HTTP {status}",
                        retry_after_s=retry_after_seconds(resp.headers.get("retry-after")),
                    )
                if not 200 <= status < 300:
                    where = resp.headers.get("location")
                    hint = f" (redirect to {where}; configure the final URL)" if where else ""
                    raise PermanentError(f"webhook bot answered HTTP {status}{hint}")
                raw = await _read_capped(resp, MAX_REPLY_BYTES)
        except httpx.TimeoutException as exc:
            raise TransientError(f"webhook bot timed out after {self.cfg.timeout_s}s") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"webhook bot unreachable: {type(exc).__name__}: {exc}") from exc
        try:
            messages = parse_response(json.loads(raw))
        except ValueError as exc:
            raise TransientError(f"webhook bot answer is not a message array: {exc}") from exc
        return TurnResult(messages=messages, state=dict(turn.state))

    async def validate(self) -> None:
        """Check the URL shape only: a test POST would start a phantom conversation in the bot."""
        try:
            WebhookConfig.model_validate(self.cfg.model_dump())
        except ValueError as exc:
            raise ConfigInvalid(str(exc)) from exc

    async def aclose(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
