"""Dialogflow ES (v2) and CX (v3) connectors over REST: httpx + google-auth service accounts.

The OAuth2 access token comes from the service-account key's own ``token_uri`` (so a local
fake can stand in for Google); it is fetched off the event loop and cached until it expires.
A 401 from the API drops the cached token and retries the call once with a fresh one.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import google.auth.exceptions
import google.auth.transport
import httpx
from google.oauth2 import service_account
from pydantic import BaseModel, ConfigDict, Field, field_validator

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
    image,
    message_from_payload,
    quick_replies,
)
from relaydesk.ai_agents.webhook import MEDIA_EVENT, WELCOME_EVENT, km_attachments

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
DEFAULT_ES_ENDPOINT = "https://dialogflow.googleapis.com"
_KEY_FIELDS = ("type", "private_key", "client_email", "token_uri")


def session_id(conversation_id: str) -> str:
    """A stable 32-hex-char session id (Dialogflow allows at most 36) for a conversation."""
    return hashlib.sha256(conversation_id.encode("utf-8")).hexdigest()[:32]


def _check_key(v: dict[str, Any]) -> dict[str, Any]:
    """A service-account key must carry the fields google-auth needs."""
    missing = [k for k in _KEY_FIELDS if not isinstance(v.get(k), str) or not v.get(k)]
    if missing:
        raise ValueError(f"service_account key lacks {', '.join(missing)}")
    if v["type"] != "service_account":
        raise ValueError('service_account key must have "type": "service_account"')
    if not v["token_uri"].startswith(("https://", "http://")):
        raise ValueError("service_account token_uri must be an http(s) URL")
    return v


class DialogflowESConfig(BaseModel):
    """Config of a ``dialogflow_es`` AI agent."""

    model_config = ConfigDict(extra="forbid")

    service_account: dict[str, Any] = Field(repr=False)
    environment: str | None = None
    api_endpoint: str = DEFAULT_ES_ENDPOINT
    language: str | None = None
    timeout_s: float = Field(default=20.0, gt=0, le=120)

    @field_validator("service_account")
    @classmethod
    def _key(cls, v: dict[str, Any]) -> dict[str, Any]:
        """The JSON key must be complete and name its project."""
        _check_key(v)
        if not isinstance(v.get("project_id"), str) or not v["project_id"]:
            raise ValueError("service_account key lacks project_id")
        return v

    @field_validator("api_endpoint")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        """An absolute http(s) base URL, without a trailing slash."""
        if not v.startswith(("https://", "http://")):
            raise ValueError("api_endpoint must be an http(s) URL")
        return v.rstrip("/")

    @property
    def project_id(self) -> str:
        """The Google Cloud project of the agent (from the key)."""
        return str(self.service_account["project_id"])


class DialogflowCXConfig(BaseModel):
    """Config of a ``dialogflow_cx`` AI agent."""

    model_config = ConfigDict(extra="forbid")

    service_account: dict[str, Any] = Field(repr=False)
    agent: str
    api_endpoint: str | None = None
    environment: str | None = None
    welcome_event: str = WELCOME_EVENT
    timeout_s: float = Field(default=20.0, gt=0, le=120)

    @field_validator("service_account")
    @classmethod
    def _key(cls, v: dict[str, Any]) -> dict[str, Any]:
        """The JSON key must be complete."""
        return _check_key(v)

    @field_validator("agent")
    @classmethod
    def _agent(cls, v: str) -> str:
        """``projects/P/locations/L/agents/A``."""
        parts = v.strip().strip("/").split("/")
        if (
            len(parts) != 6
            or parts[0::2] != ["projects", "locations", "agents"]
            or not all(parts[1::2])
        ):
            raise ValueError('agent must look like "projects/P/locations/L/agents/A"')
        return "/".join(parts)

    @field_validator("api_endpoint")
    @classmethod
    def _endpoint(cls, v: str | None) -> str | None:
        """An absolute http(s) base URL, without a trailing slash."""
        if v is None:
            return None
        if not v.startswith(("https://", "http://")):
            raise ValueError("api_endpoint must be an http(s) URL")
        return v.rstrip("/")

    @property
    def location(self) -> str:
        """The agent's location (``global``, ``us-central1``...)."""
        return self.agent.split("/")[3]

    @property
    def endpoint(self) -> str:
        """The configured endpoint, else the location's regional one."""
        if self.api_endpoint:
            return self.api_endpoint
        if self.location == "global":
            return DEFAULT_ES_ENDPOINT
        return f"https://{self.location}-dialogflow.googleapis.com"


# --- google-auth transport over httpx (no `requests` dependency) ----------------------------


class _AuthResponse(google.auth.transport.Response):
    """google-auth's view of an httpx response."""

    def __init__(self, resp: httpx.Response) -> None:
        self._resp = resp

    @property
    def status(self) -> int:
        """HTTP status."""
        return self._resp.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        """Response headers."""
        return self._resp.headers

    @property
    def data(self) -> bytes:
        """Response body."""
        return self._resp.content


class _AuthRequest(google.auth.transport.Request):
    """A synchronous google-auth transport on httpx with an explicit timeout."""

    def __init__(self, timeout_s: float) -> None:
        self._client = httpx.Client(timeout=timeout_s)

    def __call__(  # type: ignore[override]
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> _AuthResponse:
        """Make one HTTP request for google-auth."""
        try:
            resp = self._client.request(
                method,
                url,
                content=body,
                headers=dict(headers or {}),
                timeout=timeout or self._client.timeout,
            )
        except httpx.HTTPError as exc:
            raise google.auth.exceptions.TransportError(f"{type(exc).__name__}: {exc}") from exc
        return _AuthResponse(resp)

    def close(self) -> None:
        """Close the underlying client."""
        self._client.close()


class _TokenSource:
    """Service-account access tokens, refreshed off the event loop and cached until expiry."""

    def __init__(self, key: dict[str, Any], timeout_s: float) -> None:
        self._key = key
        self._timeout_s = timeout_s
        self._creds: service_account.Credentials | None = None
        self._request: _AuthRequest | None = None
        self._lock = asyncio.Lock()

    def _credentials(self) -> service_account.Credentials:
        """Build the credentials from the key; PermanentError when the key is unusable."""
        if self._creds is None:
            try:
                self._creds = service_account.Credentials.from_service_account_info(
                    self._key, scopes=SCOPES
                )
            except (ValueError, TypeError, KeyError) as exc:
                email = self._key.get("client_email", "?")
                raise PermanentError(
                    f"service account key for {email} is unusable ({type(exc).__name__}: "
                    "the private key could not be loaded)"
                ) from None
        return self._creds

    def _refresh(self, creds: service_account.Credentials) -> None:
        """Fetch a fresh token (runs in a worker thread)."""
        if self._request is None:
            self._request = _AuthRequest(self._timeout_s)
        creds.refresh(self._request)

    async def token(self) -> str:
        """A valid access token, fetched from ``token_uri`` when needed."""
        async with self._lock:
            creds = self._credentials()
            if not creds.valid:
                try:
                    await asyncio.to_thread(self._refresh, creds)
                except google.auth.exceptions.RefreshError as exc:
                    detail = _refresh_detail(exc)
                    email = self._key.get("client_email", "?")
                    if getattr(exc, "retryable", False):
                        raise TransientError(f"token endpoint busy for {email}: {detail}") from None
                    raise PermanentError(
                        f"Google refused the service account {email}: {detail}"
                    ) from None
                except google.auth.exceptions.TransportError as exc:
                    raise TransientError(f"token endpoint unreachable: {exc}") from None
            return str(creds.token)

    def invalidate(self) -> None:
        """Forget the cached token (after the API refused it)."""
        if self._creds is not None:
            self._creds.token = None
            self._creds.expiry = None

    def close(self) -> None:
        """Close the token transport."""
        if self._request is not None:
            self._request.close()
            self._request = None


def _refresh_detail(exc: Exception) -> str:
    """A short, key-free reason from a google-auth RefreshError."""
    args = exc.args
    if len(args) >= 2 and isinstance(args[1], dict):
        body = args[1]
        err = body.get("error")
        desc = body.get("error_description")
        if err or desc:
            return ": ".join(str(x) for x in (err, desc) if x)
    return str(args[0] if args else exc)[:300]


def _google_error(resp: httpx.Response) -> str:
    """The ``error.message`` of a Google API error body, else a snippet of the body."""
    try:
        body = resp.json()
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict):
            return f"{err.get('status') or resp.status_code}: {err.get('message', '')}"[:300]
    except ValueError:
        pass
    return resp.text[:200]


class _DialogflowBase(Connector):
    """Shared HTTP, auth and error handling of both Dialogflow kinds."""

    _label: ClassVar[str] = "Dialogflow"

    def __init__(self, config: BaseModel, *, ai_agent_id: str, default_language: str) -> None:
        super().__init__(config, ai_agent_id=ai_agent_id, default_language=default_language)
        key: dict[str, Any] = config.service_account  # type: ignore[attr-defined]
        self._timeout_s: float = config.timeout_s  # type: ignore[attr-defined]
        self._tokens = _TokenSource(key, self._timeout_s)
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        """The connector's reused HTTP client."""
        if self._client is None:
            t = self._timeout_s
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(t, connect=min(t, 10.0)),
                headers={"User-Agent": "relaydesk-dialogflow/1"},
            )
        return self._client

    async def _call(self, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
        """One authorized API call; retries once on 401 with a fresh token."""
        for attempt in range(2):
            token = await self._tokens.token()
            try:
                resp = await self._http().request(
                    method, url, json=body, headers={"Authorization": f"Bearer {token}"}
                )
            except httpx.TimeoutException as exc:
                raise TransientError(f"{self._label} timed out after {self._timeout_s}s") from exc
            except httpx.TransportError as exc:
                raise TransientError(
                    f"{self._label} unreachable: {type(exc).__name__}: {exc}"
                ) from exc
            status = resp.status_code
            if status == 401 and attempt == 0:
                self._tokens.invalidate()
                continue
            if status == 429 or status >= 500:
                raise TransientError(f"{self._label} HTTP {status}: {_google_error(resp)}")
            if status >= 400:
                raise PermanentError(self._permanent_message(status, resp))
            try:
                return resp.json()
            except ValueError as exc:
                raise TransientError(f"{self._label} answered a non-JSON body") from exc
        raise AssertionError("unreachable")

    def _permanent_message(self, status: int, resp: httpx.Response) -> str:
        """A clear reason for an auth/config failure."""
        why = {
            400: "bad request (check language code and agent settings)",
            401: "the access token was refused (service account disabled or key revoked?)",
            403: "permission denied (grant the service account the Dialogflow API Client role)",
            404: "agent, environment or project not found",
        }.get(status, "request refused")
        return f"{self._label} HTTP {status}, {why}: {_google_error(resp)}"

    async def _validate_get(self, url: str, what: str) -> None:
        """GET ``url`` to prove the agent exists; map failures to ConfigInvalid."""
        try:
            await self._call("GET", url)
        except PermanentError as exc:
            raise ConfigInvalid(f"{what}: {exc}") from None
        except ConnectorError as exc:
            raise ConfigInvalid(f"{what} could not be checked now: {exc}") from None

    async def aclose(self) -> None:
        """Close the HTTP clients."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._tokens.close()


def _context_payload(turn: Turn) -> dict[str, Any]:
    """The contact and conversation context sent in ``queryParams.payload``."""
    c = turn.contact
    contact = {"id": c.id, "externalId": c.external_id}
    if c.name:
        contact["name"] = c.name
    if c.email:
        contact["email"] = c.email
    payload: dict[str, Any] = {
        "conversationId": turn.conversation_id,
        "appId": turn.app_id,
        "contact": contact,
        "kmUserLanguageCode": turn.language,
        "KM_CHAT_CONTEXT": dict(turn.chat_context),
    }
    if turn.message_id:
        payload["messageId"] = turn.message_id
    if turn.metadata:
        payload["metadata"] = dict(turn.metadata)
    if turn.kind == "media":
        payload["attachments"] = km_attachments(turn)
    return payload


def _only_meaningful(msg: BotMessage | None) -> BotMessage | None:
    """Drop payload messages that carry neither text nor metadata."""
    if msg is None or (msg.text is None and not msg.metadata):
        return None
    return msg


def es_messages(query_result: dict[str, Any]) -> list[BotMessage]:
    """Map an ES ``queryResult`` to bot messages (default-platform messages only)."""
    out: list[BotMessage] = []
    pending_cards: list[dict[str, Any]] = []

    def flush_cards() -> None:
        if pending_cards:
            out.append(cards(list(pending_cards)))
            pending_cards.clear()

    for m in query_result.get("fulfillmentMessages") or []:
        if not isinstance(m, dict) or m.get("platform") not in (None, "", "PLATFORM_UNSPECIFIED"):
            continue
        if "card" in m:
            c = m["card"] or {}
            buttons = [
                (b.get("text", ""), b.get("postback") or b.get("text", ""))
                for b in c.get("buttons") or []
            ]
            pending_cards.append(
                card(
                    title=c.get("title"),
                    subtitle=c.get("subtitle"),
                    image_url=c.get("imageUri"),
                    buttons=buttons,
                )
            )
            continue
        flush_cards()
        if "text" in m:
            out.extend(BotMessage(text=t) for t in (m["text"] or {}).get("text") or [] if t)
        elif "payload" in m:
            msg = _only_meaningful(message_from_payload(m["payload"]))
            if msg is not None:
                out.append(msg)
        elif "quickReplies" in m:
            q = m["quickReplies"] or {}
            out.append(
                quick_replies(list(q.get("quickReplies") or []), text=q.get("title") or None)
            )
        elif "image" in m:
            i = m["image"] or {}
            if i.get("imageUri"):
                out.append(image(i["imageUri"], i.get("accessibilityText")))
    flush_cards()
    if not out and query_result.get("fulfillmentText"):
        out.append(BotMessage(text=query_result["fulfillmentText"]))
    return out


def cx_messages(query_result: dict[str, Any]) -> tuple[list[BotMessage], bool]:
    """Map a CX ``queryResult`` to bot messages and whether it asks for a live agent."""
    out: list[BotMessage] = []
    handoff = False
    for m in query_result.get("responseMessages") or []:
        if not isinstance(m, dict) or m.get("channel"):
            continue
        if "text" in m:
            out.extend(BotMessage(text=t) for t in (m["text"] or {}).get("text") or [] if t)
        elif "payload" in m:
            msg = _only_meaningful(message_from_payload(m["payload"]))
            if msg is not None:
                out.append(msg)
        elif "liveAgentHandoff" in m:
            handoff = True
    return out, handoff


class DialogflowESConnector(_DialogflowBase):
    """Dialogflow ES v2 ``detectIntent``."""

    kind: ClassVar[str] = "dialogflow_es"
    Config: ClassVar[type[BaseModel]] = DialogflowESConfig
    secret_fields: ClassVar[tuple[str, ...]] = ("service_account",)
    _label = "Dialogflow ES"

    def __init__(self, config: BaseModel, *, ai_agent_id: str, default_language: str) -> None:
        super().__init__(config, ai_agent_id=ai_agent_id, default_language=default_language)
        assert isinstance(config, DialogflowESConfig)
        self.cfg: DialogflowESConfig = config

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
        data = await self._call(
            "POST", self.detect_url(turn.conversation_id), self.request_body(turn)
        )
        qr = (data or {}).get("queryResult") or {}
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


class DialogflowCXConnector(_DialogflowBase):
    """Dialogflow CX v3 ``detectIntent``."""

    kind: ClassVar[str] = "dialogflow_cx"
    Config: ClassVar[type[BaseModel]] = DialogflowCXConfig
    secret_fields: ClassVar[tuple[str, ...]] = ("service_account",)
    _label = "Dialogflow CX"

    def __init__(self, config: BaseModel, *, ai_agent_id: str, default_language: str) -> None:
        super().__init__(config, ai_agent_id=ai_agent_id, default_language=default_language)
        assert isinstance(config, DialogflowCXConfig)
        self.cfg: DialogflowCXConfig = config

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
        data = await self._call(
            "POST", self.detect_url(turn.conversation_id), self.request_body(turn)
        )
        messages, handoff = cx_messages((data or {}).get("queryResult") or {})
        return TurnResult(messages=messages, human_handoff=handoff, state=dict(turn.state))

    async def validate(self) -> None:
        """Fetch a token and GET the agent."""
        await self._validate_get(
            f"{self.cfg.endpoint}/v3/{self.cfg.agent}", f"Dialogflow CX agent {self.cfg.agent}"
        )
