"""Amazon Lex connectors: ``lex_v2`` (``lexv2-runtime`` RecognizeText) and ``lex_v1`` (PostText).

What a turn sends (V2 ``text`` on ``sessionId``; V1 ``inputText`` on ``userId``):

- text: the contact's text;
- welcome: ``kmConversationStarted``;
- event: the event name (``WELCOME`` -> ``kmConversationStarted``), its data as session
  attributes (strings as is, other values as JSON) and as request attributes
  ``kmEventName`` / ``kmEventData`` (JSON);
- media: ``kommunicateMediaEvent`` with request attribute ``attachments``, a JSON string of
  ``[{"type": mime, "payload": {url, name, size}}]`` / ``[{"type": "location", "payload":
  {lat, lon}}]``; a caption goes in ``kmMessageText``.

Every turn also carries the request attributes ``kmUserLanguageCode`` (the contact's BCP 47
tag), ``kmConversationId``, ``kmUserId`` (contact external id) and, when the contact has
one, ``KM_CHAT_CONTEXT`` (its chat context as a JSON string). Text longer than Lex's 1024
characters is cut. The session/user id is the conversation id reduced to
``[0-9A-Za-z._:-]`` (2-100 chars; a digest suffix keeps altered ids distinct).

boto3 clients are made once per connector, with explicit timeouts and few botocore retries
(``max_attempts: 2``, standard mode: at most 3 attempts; the durable turn queue does the
real retrying), and are called through ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import logging
import re
import threading
import weakref
from typing import Any, ClassVar

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from relaydesk.ai_agents.base import (
    BotMessage,
    ConfigInvalid,
    Connector,
    ConnectorError,
    PermanentError,
    TransientError,
    Turn,
    TurnResult,
    card,
    cards,
    message_from_text_or_payload,
)

log = logging.getLogger(__name__)

WELCOME_TEXT = "kmConversationStarted"
MEDIA_TEXT = "kommunicateMediaEvent"
MAX_TEXT = 1024
FALLBACK_STATE_KEY = "lex_fallbacks"

_SESSION_CHARS = re.compile(r"[^0-9A-Za-z._:-]")
_TAG = re.compile(r"<[^>]*>")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_LOCALE = re.compile(r"^[a-z]{2,3}_[A-Z0-9]{2,3}$")

_CREDENTIAL_CODES = {
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "MissingAuthenticationTokenException",
    "IncompleteSignature",
    "ExpiredTokenException",
    "InvalidAccessKeyId",
}
_DENIED_CODES = {"AccessDeniedException", "AccessDenied"}
_NOT_FOUND_CODES = {"ResourceNotFoundException", "NotFoundException"}
_TRANSIENT_CODES = {
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "LimitExceededException",
    "InternalServerException",
    "InternalFailureException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "BadGatewayException",
    "DependencyFailedException",
    "ConflictException",
    "RequestTimeoutException",
}


def lex_session_id(conversation_id: str) -> str:
    """The conversation id reduced to Lex's ``[0-9A-Za-z._:-]{2,100}``, distinct per id."""
    cleaned = _SESSION_CHARS.sub("", conversation_id)
    if cleaned == conversation_id and 2 <= len(cleaned) <= 100:
        return cleaned
    digest = hashlib.sha256(conversation_id.encode()).hexdigest()[:16]
    return f"{cleaned[:83]}-{digest}" if cleaned else f"km-{digest}"


def strip_ssml(ssml: str) -> str:
    """SSML as plain text: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(_TAG.sub(" ", ssml)).split())


def km_attachments(turn: Turn) -> list[dict[str, Any]]:
    """The turn's attachments and location in Kommunicate's ``[{type, payload}]`` format."""
    out: list[dict[str, Any]] = []
    for a in turn.attachments:
        payload = {k: a.get(k) for k in ("url", "name", "size")}
        out.append({"type": a.get("mime_type") or "application/octet-stream", "payload": payload})
    if turn.location:
        lat, lon = turn.location.get("lat"), turn.location.get("lon")
        out.append({"type": "location", "payload": {"lat": lat, "lon": lon}})
    return out


def _attr_value(value: Any) -> str:
    """A Lex attribute value (Lex attributes are strings; others are sent as JSON)."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def turn_input(turn: Turn) -> tuple[str, dict[str, str], dict[str, str] | None]:
    """(text, request attributes, session attributes or None) that a turn is sent as."""
    attrs: dict[str, str] = {
        "kmUserLanguageCode": turn.language,
        "kmConversationId": turn.conversation_id,
        "kmUserId": turn.contact.external_id,
    }
    if turn.chat_context:
        attrs["KM_CHAT_CONTEXT"] = _attr_value(turn.chat_context)
    session_attrs: dict[str, str] | None = None
    if turn.kind == "welcome":
        text = WELCOME_TEXT
    elif turn.kind == "event":
        name = (turn.event_name or "").strip()
        text = WELCOME_TEXT if not name or name.upper() == "WELCOME" else name
        if name:
            attrs["kmEventName"] = name
        if turn.event_data:
            attrs["kmEventData"] = _attr_value(turn.event_data)
            session_attrs = {str(k): _attr_value(v) for k, v in turn.event_data.items()}
    elif turn.kind == "media":
        text = MEDIA_TEXT
        attrs["attachments"] = _attr_value(km_attachments(turn))
        if turn.text:
            attrs["kmMessageText"] = turn.text
    else:
        text = (turn.text or "").strip() or " "
    return text[:MAX_TEXT], attrs, session_attrs


def _bot_messages(content_type: str | None, content: str | None) -> list[BotMessage]:
    """One Lex text-ish message (PlainText, SSML, CustomPayload) as bot messages."""
    if not content:
        return []
    if content_type == "SSML":
        text = strip_ssml(content)
        return [BotMessage(text=text)] if text else []
    if content_type == "CustomPayload":
        msg = message_from_text_or_payload(content)
        # a payload for another platform, or one with neither message nor metadata: nothing
        return [msg] if msg is not None and (msg.text or msg.metadata) else []
    return [BotMessage(text=content)]


def _buttons(raw: Any) -> list[tuple[str, str]]:
    """Lex buttons ``[{text, value}]`` as (label, value) pairs."""
    out: list[tuple[str, str]] = []
    for b in raw or []:
        if isinstance(b, dict) and b.get("text"):
            out.append((str(b["text"]), str(b.get("value") or b["text"])))
    return out


def v2_messages(messages: list[dict[str, Any]]) -> list[BotMessage]:
    """Lex V2 ``messages[]`` in order; consecutive ImageResponseCards form one carousel."""
    out: list[BotMessage] = []
    pending: list[dict[str, Any]] = []

    def flush() -> None:
        if pending:
            out.append(cards(list(pending)))
            pending.clear()

    for m in messages:
        if m.get("contentType") == "ImageResponseCard":
            c = m.get("imageResponseCard") or {}
            pending.append(
                card(
                    title=c.get("title"),
                    subtitle=c.get("subtitle"),
                    image_url=c.get("imageUrl"),
                    buttons=_buttons(c.get("buttons")),
                )
            )
            continue
        flush()
        out.extend(_bot_messages(m.get("contentType"), m.get("content")))
    flush()
    return out


def v1_messages(response: dict[str, Any]) -> list[BotMessage]:
    """Lex V1 PostText ``message`` (by ``messageFormat``) and ``responseCard`` as messages."""
    out: list[BotMessage] = []
    fmt = response.get("messageFormat") or "PlainText"
    message = response.get("message")
    if fmt == "Composite" and message:
        try:
            parts = json.loads(message).get("messages")
        except (ValueError, AttributeError):
            parts = None
        if isinstance(parts, list):
            for p in parts:
                if isinstance(p, dict):
                    out.extend(_bot_messages(p.get("type"), p.get("value")))
        else:
            out.append(BotMessage(text=message))
    else:
        out.extend(_bot_messages(fmt, message))
    attachments = (response.get("responseCard") or {}).get("genericAttachments") or []
    items = [
        card(
            title=a.get("title"),
            subtitle=a.get("subTitle"),
            image_url=a.get("imageUrl"),
            buttons=_buttons(a.get("buttons")),
        )
        for a in attachments
        if isinstance(a, dict)
    ]
    if items:
        out.append(cards(items))
    return out


# --- configuration ------------------------------------------------------------------------


def _blank_is_none(v: Any) -> Any:
    """ "" (an empty form field) as None."""
    return None if isinstance(v, str) and not v.strip() else v


class _LexConfigBase(BaseModel):
    """Fields shared by both Lex kinds."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    access_key_id: str = Field(min_length=16, max_length=128, pattern=r"^\w+$")
    secret_access_key: str = Field(min_length=1, max_length=256, repr=False)
    region: str = Field(min_length=1, max_length=32)
    endpoint_url: str | None = None
    connect_timeout_s: float = Field(default=5.0, gt=0, le=60)
    read_timeout_s: float = Field(default=15.0, gt=0, le=120)

    @field_validator("endpoint_url", mode="before")
    @classmethod
    def _blank_endpoint(cls, v: Any) -> Any:
        """Forms send "" for unset optional fields."""
        return _blank_is_none(v)

    @field_validator("region")
    @classmethod
    def _region_shape(cls, v: str) -> str:
        """An AWS region name such as us-east-1."""
        if not _REGION.match(v):
            raise ValueError(f"not an AWS region name: {v!r}")
        return v

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint_shape(cls, v: str | None) -> str | None:
        """An http(s) URL."""
        if v is not None and not re.match(r"^https?://[^/\s]+", v):
            raise ValueError("endpoint_url must be an http(s) URL")
        return v.rstrip("/") if v else v


class LexV2Config(_LexConfigBase):
    """Configuration of a ``lex_v2`` AI agent."""

    bot_id: str | None = Field(default=None, pattern=r"^[0-9A-Za-z]{10}$")
    bot_name: str | None = Field(default=None, max_length=100)
    bot_alias_id: str | None = Field(default=None, pattern=r"^[0-9A-Za-z]{10}$")
    bot_alias: str | None = Field(default=None, max_length=100)
    locale: str = Field(default="en_US", pattern=_LOCALE.pattern)
    handoff_after_fallbacks: int | None = Field(default=None, ge=1, le=100)
    fallback_intents: list[str] = Field(default_factory=lambda: ["FallbackIntent"])

    @field_validator(
        "bot_id", "bot_name", "bot_alias_id", "bot_alias", "handoff_after_fallbacks", mode="before"
    )
    @classmethod
    def _blank_optional(cls, v: Any) -> Any:
        """Forms send "" for unset optional fields."""
        return _blank_is_none(v)

    @model_validator(mode="after")
    def _one_of_each(self) -> LexV2Config:
        """A bot (id or name) and an alias (id or name) are required."""
        if not (self.bot_id or self.bot_name):
            raise ValueError("bot_id or bot_name is required")
        if not (self.bot_alias_id or self.bot_alias):
            raise ValueError("bot_alias_id or bot_alias is required")
        return self


class LexV1Config(_LexConfigBase):
    """Configuration of a ``lex_v1`` AI agent."""

    bot_name: str = Field(min_length=2, max_length=50, pattern=r"^[A-Za-z_]+$")
    bot_alias: str = Field(min_length=1, max_length=100)


# --- shared machinery -------------------------------------------------------------------

_SESSION_LOCK = threading.Lock()
_SESSION: list[boto3.session.Session] = []


def _boto_session() -> boto3.session.Session:
    """One boto3 session for the process: its loader caches the service models.

    Credentials are never taken from it: every client gets its AI agent's keys explicitly.
    """
    if not _SESSION:
        _SESSION.append(boto3.session.Session())
    return _SESSION[0]


class _LexConnector(Connector):
    """boto3 clients (made once, lazily), error mapping and the thread hop."""

    secret_fields: ClassVar[tuple[str, ...]] = ("secret_access_key",)
    label: ClassVar[str] = "Lex"

    def __init__(self, config: BaseModel, *, ai_agent_id: str, default_language: str) -> None:
        super().__init__(config, ai_agent_id=ai_agent_id, default_language=default_language)
        self.cfg: _LexConfigBase = config  # type: ignore[assignment]
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()

    def client(self, service: str) -> Any:
        """The boto3 client of ``service`` for this AI agent (created once)."""
        with self._clients_lock:
            existing = self._clients.get(service)
            if existing is not None:
                return existing
            with _SESSION_LOCK:  # client creation from one session is not thread-safe
                made = _boto_session().client(
                    service,
                    region_name=self.cfg.region,
                    aws_access_key_id=self.cfg.access_key_id,
                    aws_secret_access_key=self.cfg.secret_access_key,
                    endpoint_url=self.cfg.endpoint_url,
                    config=BotoConfig(
                        connect_timeout=self.cfg.connect_timeout_s,
                        read_timeout=self.cfg.read_timeout_s,
                        retries={"max_attempts": 2, "mode": "standard"},
                        max_pool_connections=32,
                        user_agent_extra="relaydesk",
                    ),
                )
            self._clients[service] = made
            return made

    def _scrub(self, text: str) -> str:
        """Never let the secret key reach a message or a log line."""
        secret = self.cfg.secret_access_key
        return text.replace(secret, "****") if secret else text

    def map_error(self, exc: Exception, action: str) -> ConnectorError:
        """A boto error as TransientError (throttling, 429/5xx, network) or PermanentError."""
        if isinstance(exc, ConnectorError):
            return exc
        if isinstance(exc, ClientError):
            err = exc.response.get("Error") or {}
            code = str(err.get("Code") or "Unknown")
            message = str(err.get("Message") or "")
            status = int((exc.response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0)
            detail = f"{code}: {message}" if message else code
            if code in _CREDENTIAL_CODES:
                text = (
                    f"AWS refused the credentials ({action}): {detail} "
                    f"[access key {self.cfg.access_key_id}, region {self.cfg.region}]"
                )
                return PermanentError(self._scrub(text))
            if code in _DENIED_CODES:
                text = (
                    f"AWS denied access ({action}): {detail} (the IAM user needs "
                    "AmazonLexReadOnly and AmazonLexRunBotsOnly)"
                )
                return PermanentError(self._scrub(text))
            if status == 429 or status >= 500 or code in _TRANSIENT_CODES:
                text = f"{self.label} {action} failed (HTTP {status}, {detail}), retries exhausted"
                return TransientError(self._scrub(text))
            if code in _NOT_FOUND_CODES:
                return PermanentError(self._scrub(f"{self.label} {action}: not found: {detail}"))
            return PermanentError(
                self._scrub(f"{self.label} rejected {action} (HTTP {status}): {detail}")
            )
        if isinstance(exc, ReadTimeoutError):
            text = f"{self.label} did not answer {action} within {self.cfg.read_timeout_s}s: {exc}"
            return TransientError(self._scrub(text))
        if isinstance(exc, HTTPClientError | BotoConnectionError):
            return TransientError(self._scrub(f"could not reach {self.label} ({action}): {exc}"))
        if isinstance(exc, NoCredentialsError):
            return PermanentError(f"{self.label} {action}: no AWS credentials configured")
        if isinstance(exc, BotoCoreError):
            return PermanentError(self._scrub(f"{self.label} {action}: {exc}"))
        return TransientError(self._scrub(f"{self.label} {action}: {type(exc).__name__}: {exc}"))

    async def call(self, action: str, fn: Any, /, **kwargs: Any) -> dict[str, Any]:
        """Run a blocking boto3 call in a thread; map its failures to ConnectorError."""
        try:
            result: dict[str, Any] = await asyncio.to_thread(fn, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a ConnectorError
            mapped = self.map_error(exc, action)
            log.info("%s agent %s: %s", self.kind, self.ai_agent_id, mapped)
            raise mapped from None
        return result

    async def aclose(self) -> None:
        """Close the HTTP pools of the boto3 clients."""
        with self._clients_lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for c in clients:
            c.close()


# --- lex_v2 -------------------------------------------------------------------------------


class LexV2Connector(_LexConnector):
    """Amazon Lex V2 through ``lexv2-runtime`` RecognizeText; names resolved by ``lexv2-models``."""

    kind: ClassVar[str] = "lex_v2"
    Config: ClassVar[type[BaseModel]] = LexV2Config
    label: ClassVar[str] = "Lex V2"

    def __init__(self, config: BaseModel, *, ai_agent_id: str, default_language: str) -> None:
        super().__init__(config, ai_agent_id=ai_agent_id, default_language=default_language)
        self.v2: LexV2Config = config  # type: ignore[assignment]
        self._bot_id: str | None = self.v2.bot_id
        self._alias_id: str | None = self.v2.bot_alias_id
        #: enabled locales of the alias (None: not looked up yet; empty: unknown)
        self._locales: list[str] | None = None
        self._resolve_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]
        self._resolve_locks = weakref.WeakKeyDictionary()

    def _bot_label(self) -> str:
        """The bot as configured, for messages."""
        return repr(self.v2.bot_id or self.v2.bot_name)

    async def resolve(self) -> tuple[str, str]:
        """(bot id, alias id), resolving configured names once (ListBots, ListBotAliases)."""
        if self._bot_id and self._alias_id:
            return self._bot_id, self._alias_id
        loop = asyncio.get_running_loop()
        lock = self._resolve_locks.setdefault(loop, asyncio.Lock())  # one per event loop
        async with lock:
            models = await asyncio.to_thread(self.client, "lexv2-models")
            if not self._bot_id:
                self._bot_id = await self._find_bot(models, str(self.v2.bot_name))
            if not self._alias_id:
                self._alias_id = await self._find_alias(
                    models, self._bot_id, str(self.v2.bot_alias)
                )
            return self._bot_id, self._alias_id

    async def _find_bot(self, models: Any, name: str) -> str:
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {
                "filters": [{"name": "BotName", "values": [name], "operator": "EQ"}],
                "maxResults": 100,
            }
            if token:
                kwargs["nextToken"] = token
            page = await self.call("ListBots", models.list_bots, **kwargs)
            for bot in page.get("botSummaries") or []:
                if bot.get("botName") == name and bot.get("botId"):
                    return str(bot["botId"])
            token = page.get("nextToken")
            if not token:
                raise PermanentError(f"no Lex V2 bot named {name!r} in {self.v2.region}")

    async def _find_alias(self, models: Any, bot_id: str, alias: str) -> str:
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"botId": bot_id, "maxResults": 100}
            if token:
                kwargs["nextToken"] = token
            page = await self.call("ListBotAliases", models.list_bot_aliases, **kwargs)
            for a in page.get("botAliasSummaries") or []:
                if a.get("botAliasName") == alias and a.get("botAliasId"):
                    return str(a["botAliasId"])
            token = page.get("nextToken")
            if not token:
                raise PermanentError(
                    f"Lex V2 bot {self._bot_label()} has no alias named {alias!r} "
                    f"in {self.v2.region}"
                )

    async def alias_locales(self) -> list[str]:
        """The locales enabled on the alias (DescribeBotAlias), cached; [] when unknown."""
        if self._locales is not None:
            return self._locales
        bot_id, alias_id = await self.resolve()
        models = await asyncio.to_thread(self.client, "lexv2-models")
        try:
            desc = await self.call(
                "DescribeBotAlias", models.describe_bot_alias, botId=bot_id, botAliasId=alias_id
            )
        except TransientError:
            raise
        except PermanentError as exc:  # no read access: keep the configured locale
            log.warning("lex_v2 agent %s: alias locales unknown: %s", self.ai_agent_id, exc)
            self._locales = []
            return self._locales
        settings = desc.get("botAliasLocaleSettings") or {}
        self._locales = sorted(k for k, v in settings.items() if (v or {}).get("enabled"))
        return self._locales

    async def locale_for(self, language: str | None) -> str:
        """The Lex locale for a BCP 47 tag: exact, else same language on the alias, else config."""
        default = self.v2.locale
        parts = [p for p in re.split(r"[-_]", (language or "").strip()) if p]
        if not parts:
            return default
        lang = parts[0].lower()
        region = next((p.upper() for p in parts[1:] if len(p) in (2, 3) and p.isalnum()), None)
        exact = f"{lang}_{region}" if region else None
        if exact == default or (exact is None and default.split("_")[0].lower() == lang):
            return default
        enabled = await self.alias_locales()
        return pick_locale(lang, exact, enabled, default)

    async def handle(self, turn: Turn) -> TurnResult:
        """Send the turn to RecognizeText and map the answer."""
        bot_id, alias_id = await self.resolve()
        locale = await self.locale_for(turn.language or self.default_language)
        text, request_attrs, session_attrs = turn_input(turn)
        runtime = await asyncio.to_thread(self.client, "lexv2-runtime")
        kwargs: dict[str, Any] = {
            "botId": bot_id,
            "botAliasId": alias_id,
            "localeId": locale,
            "sessionId": lex_session_id(turn.conversation_id),
            "text": text,
            "requestAttributes": request_attrs,
        }
        if session_attrs:
            kwargs["sessionState"] = {"sessionAttributes": session_attrs}
        try:
            resp = await self.call("RecognizeText", runtime.recognize_text, **kwargs)
        except PermanentError:
            if not (self.v2.bot_id and self.v2.bot_alias_id):
                self._bot_id, self._alias_id = self.v2.bot_id, self.v2.bot_alias_id
                self._locales = None  # names may point elsewhere now: resolve again next time
            raise
        return self.result(turn, resp)

    def result(self, turn: Turn, resp: dict[str, Any]) -> TurnResult:
        """Messages, hang-up (intent Failed or too many fallbacks) and fallback state."""
        messages = v2_messages(resp.get("messages") or [])
        intent = (resp.get("sessionState") or {}).get("intent") or {}
        if not intent.get("name"):
            interpretations = resp.get("interpretations") or [{}]
            intent = {**(interpretations[0].get("intent") or {}), **intent}
        name = intent.get("name")
        state = dict(turn.state)
        limit = self.v2.handoff_after_fallbacks
        fallbacks = int(state.get(FALLBACK_STATE_KEY) or 0)
        if turn.kind in ("text", "media"):
            fallbacks = fallbacks + 1 if name in self.v2.fallback_intents else 0
        else:
            fallbacks = 0
        if intent.get("state") == "Failed":
            state[FALLBACK_STATE_KEY] = 0
            detail = f"Lex V2 intent {name or '?'} failed"
            return TurnResult(messages=messages, hangup=True, hangup_detail=detail, state=state)
        if limit is not None and fallbacks >= limit:
            state[FALLBACK_STATE_KEY] = 0
            detail = f"{fallbacks} consecutive fallback turns ({name})"
            return TurnResult(messages=messages, hangup=True, hangup_detail=detail, state=state)
        if limit is not None or FALLBACK_STATE_KEY in state:
            state[FALLBACK_STATE_KEY] = fallbacks
        return TurnResult(messages=messages, state=state)

    async def validate(self) -> None:
        """Resolve the bot and alias and check the locale against AWS; ConfigInvalid if not."""
        self._bot_id, self._alias_id, self._locales = self.v2.bot_id, self.v2.bot_alias_id, None
        try:
            bot_id, alias_id = await self.resolve()
            models = await asyncio.to_thread(self.client, "lexv2-models")
            desc = await self.call(
                "DescribeBotAlias", models.describe_bot_alias, botId=bot_id, botAliasId=alias_id
            )
        except TransientError as exc:
            raise ConfigInvalid(f"could not check the Lex V2 configuration: {exc}") from None
        except PermanentError as exc:
            text = str(exc)
            if "not found" in text and not text.startswith("AWS"):
                text = (
                    f"no alias {alias_label(self.v2)} on Lex V2 bot {self._bot_label()} "
                    f"in {self.v2.region} ({text})"
                )
            raise ConfigInvalid(text) from None
        settings = desc.get("botAliasLocaleSettings") or {}
        self._locales = sorted(k for k, v in settings.items() if (v or {}).get("enabled"))
        if settings and self.v2.locale not in self._locales:
            raise ConfigInvalid(
                f"locale {self.v2.locale} is not enabled on the Lex V2 alias "
                f"(enabled: {', '.join(self._locales) or 'none'})"
            )


def alias_label(cfg: LexV2Config) -> str:
    """The alias as configured, for messages."""
    return repr(cfg.bot_alias_id or cfg.bot_alias)


def pick_locale(lang: str, exact: str | None, enabled: list[str], default: str) -> str:
    """Choose among the alias's enabled locales for a language (and region if any)."""
    if exact and exact in enabled:
        return exact
    same = [loc for loc in enabled if loc.split("_")[0].lower() == lang]
    if not same:
        return default
    if default in same:
        return default
    # the "main" country of the language (fr_FR, de_DE, es_ES, it_IT), else the first
    main = f"{lang}_{lang.upper()}"
    return main if main in same else same[0]


# --- lex_v1 -------------------------------------------------------------------------------


class LexV1Connector(_LexConnector):
    """Amazon Lex V1 (legacy) through ``lex-runtime`` PostText."""

    kind: ClassVar[str] = "lex_v1"
    Config: ClassVar[type[BaseModel]] = LexV1Config
    label: ClassVar[str] = "Lex V1"

    def __init__(self, config: BaseModel, *, ai_agent_id: str, default_language: str) -> None:
        super().__init__(config, ai_agent_id=ai_agent_id, default_language=default_language)
        self.v1: LexV1Config = config  # type: ignore[assignment]

    async def handle(self, turn: Turn) -> TurnResult:
        """Send the turn to PostText and map the answer."""
        text, request_attrs, session_attrs = turn_input(turn)
        runtime = await asyncio.to_thread(self.client, "lex-runtime")
        kwargs: dict[str, Any] = {
            "botName": self.v1.bot_name,
            "botAlias": self.v1.bot_alias,
            "userId": lex_session_id(turn.conversation_id),
            "inputText": text,
            "requestAttributes": request_attrs,
        }
        if session_attrs:
            kwargs["sessionAttributes"] = session_attrs
        resp = await self.call("PostText", runtime.post_text, **kwargs)
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
        models = await asyncio.to_thread(self.client, "lex-models")
        try:
            await self.call(
                "GetBotAlias",
                models.get_bot_alias,
                name=self.v1.bot_alias,
                botName=self.v1.bot_name,
            )
        except TransientError as exc:
            raise ConfigInvalid(f"could not check the Lex V1 configuration: {exc}") from None
        except PermanentError as exc:
            text = str(exc)
            if "not found" in text and not text.startswith("AWS"):
                text = (
                    f"no Lex V1 bot {self.v1.bot_name!r} with alias {self.v1.bot_alias!r} "
                    f"in {self.v1.region} ({text})"
                )
            raise ConfigInvalid(text) from None
