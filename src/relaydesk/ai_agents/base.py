"""The connector contract shared by every AI-agent kind, and the registry keyed by kind.

A connector turns one :class:`Turn` into a :class:`TurnResult` (bot messages, an optional
hang-up or handoff, and its per-conversation state). It knows nothing of routing, of the
database or of the turn queue: the queue (``jobs.py``) calls it, reads the ``KM_ASSIGN_*`` /
``actionRequest`` metadata of the returned messages (:func:`actions_from_messages`) and
applies the routing decisions.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import BaseModel

TurnKind = Literal["text", "welcome", "event", "media"]


@dataclass(frozen=True)
class ContactInfo:
    id: str
    external_id: str
    name: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """One earlier message of the conversation, for connectors that send the history."""

    sender_type: str  # contact | agent | ai_agent
    text: str | None
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class KnowledgeHit:
    """An article of the app's knowledge base that matches a search."""

    title: str
    url: str | None
    passage: str


#: ``(query, limit, language)`` → the app's best-matching articles
KnowledgeSearch = Callable[[str, int, str | None], Awaitable[list[KnowledgeHit]]]


@dataclass(frozen=True)
class Turn:
    """One thing the bot must answer: a contact's text, the welcome, a named event, media."""

    kind: TurnKind
    app_id: str
    conversation_id: str
    ai_agent_id: str
    language: str  # BCP 47 tag: the contact's language, else the AI agent's default
    contact: ContactInfo
    message_id: str | None = None
    text: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)  # {url,name,size,mime_type}
    location: dict[str, float] | None = None  # {lat, lon}
    event_name: str | None = None
    event_data: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)  # the contact message's metadata
    chat_context: dict[str, Any] = field(default_factory=dict)  # KM_CHAT_CONTEXT
    state: dict[str, Any] = field(default_factory=dict)  # connector state for this conversation
    turn_id: str | None = None  # stable across the retries of this turn (idempotency keys)
    #: the conversation's latest messages, oldest first, this turn's own message last
    #: (only for connectors whose ``history_messages`` is > 0)
    history: list[HistoryEntry] = field(default_factory=list)
    #: searches the app's knowledge base (only for connectors with ``uses_knowledge``)
    knowledge: KnowledgeSearch | None = None


@dataclass(frozen=True)
class BotMessage:
    """A message the bot posts; rich content and handoff keys live in ``metadata``."""

    text: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def visible(self) -> bool:
        """False for messages that carry nothing but ``KM_ASSIGN_*``/``event`` keys."""
        if self.text:
            return True
        silent = {"KM_ASSIGN_TO", "KM_ASSIGN_TEAM", "event", "actionRequest"}
        return any(k not in silent for k in self.metadata)


@dataclass(frozen=True)
class TurnResult:
    messages: list[BotMessage] = field(default_factory=list)
    hangup: bool = False  # the bot gave up (Lex Failed, DF input.unknown, fallbacks exceeded)
    hangup_detail: str | None = None
    human_handoff: bool = False  # provider-native handoff to humans (DF CX liveAgentHandoff)
    state: dict[str, Any] = field(default_factory=dict)
    #: why the bot handed over (a language model's stated reason), kept as the detail
    handoff_detail: str | None = None
    #: tokens the turn used: ``{"prompt_tokens": n, "completion_tokens": n}``
    usage: dict[str, int] | None = None


#: more messages than this in one bot answer is a bot error
MAX_REPLY_MESSAGES = 20


def reply_problem(
    result: TurnResult, *, max_text_chars: int, max_metadata_bytes: int
) -> str | None:
    """Why a bot's answer cannot be posted (the message limits apply to bots too), or None."""
    if len(result.messages) > MAX_REPLY_MESSAGES:
        return f"the bot answered {len(result.messages)} messages (at most {MAX_REPLY_MESSAGES})"
    for message in result.messages:
        text = message.text or ""
        if len(text) > max_text_chars:
            return f"a bot message has {len(text)} characters (at most {max_text_chars})"
        metadata = json.dumps(message.metadata, default=str)
        if len(metadata.encode()) > max_metadata_bytes:
            return f"a bot message's metadata is over {max_metadata_bytes} bytes"
        if "\x00" in text or "\\u0000" in metadata:
            return "a bot message holds a NUL character"
    return None


class ConnectorError(Exception):
    """A turn the connector could not complete; ``transient`` ones are retried."""

    transient: bool = True

    def __init__(
        self,
        message: str,
        *,
        transient: bool | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        if transient is not None:
            self.transient = transient
        #: the provider's own ``Retry-After``: the next try waits at least this long
        self.retry_after_s = retry_after_s


def retry_after_seconds(value: str | None) -> float | None:
    """An HTTP ``Retry-After`` in seconds (the delta form; an HTTP date is ignored)."""
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


class TransientError(ConnectorError):
    """Timeouts, throttling, HTTP 429/5xx: retried with backoff."""

    transient = True


class PermanentError(ConnectorError):
    """Bad credentials or configuration: fails at once, never retried."""

    transient = False


class ConfigInvalid(Exception):
    """The provider rejected the configuration (answered as 422 on create/update)."""


class Connector(ABC):
    """One AI-agent kind. Instances are built once per AI agent (and config) and reused."""

    kind: ClassVar[str]
    Config: ClassVar[type[BaseModel]]
    #: top-level config keys stored encrypted and shown as "****"
    secret_fields: ClassVar[tuple[str, ...]] = ()
    #: config fields (dotted paths) holding URLs the tenant chose: checked by the
    #: outbound-URL guard (relaydesk.outbound) on create and update
    url_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: BaseModel, *, ai_agent_id: str, default_language: str) -> None:
        self.config = config
        self.ai_agent_id = ai_agent_id
        self.default_language = default_language

    @property
    def history_messages(self) -> int:
        """How many of the conversation's latest messages each turn needs (0: none)."""
        return 0

    @property
    def uses_knowledge(self) -> bool:
        """Whether turns need the app's knowledge-base search."""
        return False

    @abstractmethod
    async def handle(self, turn: Turn) -> TurnResult:
        """Send one turn to the bot and map its answer; raise ConnectorError on failure."""

    async def validate(self) -> None:  # noqa: B027 - optional hook
        """Check the configuration against the provider; raise ConfigInvalid with the reason."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release clients and connections."""


# --- the custom payload and rich templates (ai-agents.md) ---------------------------------


def message_from_payload(payload: Any) -> BotMessage | None:
    """Map a Kommunicate custom payload ``{platform?, message?, metadata?}`` to a message.

    Payloads for another platform are ignored (None). Anything that is not such an object
    becomes a plain text message of its JSON.
    """
    if not isinstance(payload, dict):
        return BotMessage(text=json.dumps(payload)) if payload is not None else None
    platform = payload.get("platform")
    if platform not in (None, "", "kommunicate"):
        return None
    text = payload.get("message")
    metadata = payload.get("metadata") or {}
    if not isinstance(metadata, dict):
        metadata = {}
    if text is not None and not isinstance(text, str):
        text = json.dumps(text)
    return BotMessage(text=text or None, metadata=dict(metadata))


def message_from_text_or_payload(content: str) -> BotMessage | None:
    """A bot string that may hold a JSON custom payload (Lex CustomPayload, webhook text)."""
    try:
        parsed = json.loads(content)
    except (ValueError, TypeError):
        return BotMessage(text=content)
    if isinstance(parsed, dict):
        return message_from_payload(parsed)
    return BotMessage(text=content)


def rich(template_id: str, payload: list[dict[str, Any]], text: str | None = None) -> BotMessage:
    """A rich message in the internal (Kommunicate) metadata format."""
    return BotMessage(
        text=text, metadata={"contentType": "300", "templateId": template_id, "payload": payload}
    )


def quick_replies(replies: list[str], text: str | None = None) -> BotMessage:
    """templateId 6: suggested replies."""
    return rich("6", [{"title": r, "message": r} for r in replies], text)


def card(
    *,
    title: str | None,
    subtitle: str | None = None,
    image_url: str | None = None,
    buttons: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """One card of templateId 10; buttons are (label, value sent back)."""
    item: dict[str, Any] = {"title": title or "", "subtitle": subtitle or ""}
    if image_url:
        item["header"] = {"imgSrc": image_url}
    item["buttons"] = [
        {
            "name": label,
            "action": {"type": "quickReply", "payload": {"title": label, "message": value}},
        }
        for label, value in buttons
    ]
    return item


def cards(items: list[dict[str, Any]], text: str | None = None) -> BotMessage:
    """templateId 10: one card or a carousel."""
    return rich("10", items, text)


def image(url: str, caption: str | None = None) -> BotMessage:
    """templateId 9: an image."""
    return rich("9", [{"url": url, "caption": caption or ""}])


# --- actions the queue derives from bot messages ------------------------------------------


@dataclass(frozen=True)
class HandoffRequest:
    """What a bot message's metadata asks for (routing.md §4)."""

    assign_to: str | None = None  # KM_ASSIGN_TO value; "" = the human rules
    team_id: str | None = None  # KM_ASSIGN_TEAM
    event: dict[str, Any] | None = None  # {name, data} for bot-to-bot handoff


@dataclass(frozen=True)
class MessageActions:
    handoff: HandoffRequest | None = None
    resolve: bool = False


def actions_from_messages(messages: list[BotMessage]) -> MessageActions:
    """The handoff/resolve asked by a turn's messages; the last handoff key set wins."""
    handoff: HandoffRequest | None = None
    resolve = False
    for m in messages:
        md = m.metadata
        if "KM_ASSIGN_TO" in md or "KM_ASSIGN_TEAM" in md:
            to = md.get("KM_ASSIGN_TO")
            team = md.get("KM_ASSIGN_TEAM")
            event = md.get("event")
            if isinstance(event, str):
                event = {"name": event, "data": {}}
            if not isinstance(event, dict):
                event = None
            handoff = HandoffRequest(
                assign_to=None if to is None else str(to).strip(),
                team_id=None if team in (None, "") else str(team),
                event=event,
            )
        if md.get("actionRequest") == "resolveConversation":
            resolve = True
    return MessageActions(handoff=handoff, resolve=resolve)
