"""The base both Dialogflow connectors share: authorized HTTP, errors, a turn's session/context.

A 401 from the API drops the cached token and retries the call once with a fresh one.
"""

from __future__ import annotations

import hashlib
from abc import abstractmethod
from typing import Any, ClassVar, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from relaydesk.ai_agents.base import (
    ConfigInvalid,
    Connector,
    ConnectorError,
    PermanentError,
    TransientError,
    Turn,
    retry_after_seconds,
)
from relaydesk.ai_agents.dialogflow.auth import _TokenSource
from relaydesk.ai_agents.dialogflow.config import _DialogflowConfigBase
from relaydesk.ai_agents.webhook import km_attachments

#: the configuration model of a Dialogflow connector
C = TypeVar("C", bound=_DialogflowConfigBase)


def session_id(conversation_id: str) -> str:
    """A stable 32-hex-char session id (Dialogflow allows at most 36) for a conversation."""
    return hashlib.sha256(conversation_id.encode("utf-8")).hexdigest()[:32]


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


def _answer_problem(data: Any, messages_key: str) -> str | None:
    """Why a detectIntent answer is malformed (not an object, a field of the wrong type)."""
    if not isinstance(data, dict):
        return f"the body is a JSON {type(data).__name__}, not an object"
    result = data.get("queryResult")
    if result is None:
        return None
    if not isinstance(result, dict):
        return "queryResult is not an object"
    messages = result.get(messages_key)
    if messages is not None and not (
        isinstance(messages, list) and all(isinstance(m, dict) for m in messages)
    ):
        return f"{messages_key} is not a list of objects"
    for m in messages or []:
        inner = m.get("text") or {}
        lines = inner.get("text") if isinstance(inner, dict) else None
        if not isinstance(inner, dict) or not isinstance(lines or [], list):
            return "a text message is not an object with a list of texts"
    text = result.get("fulfillmentText")
    if text is not None and not isinstance(text, str):
        return "fulfillmentText is not a string"
    return None


class _DialogflowBase(Connector, Generic[C]):
    """Shared HTTP, auth and error handling of both Dialogflow kinds; ``cfg`` is a ``C``."""

    secret_fields: ClassVar[tuple[str, ...]] = ("service_account",)
    url_fields: ClassVar[tuple[str, ...]] = ("api_endpoint", "service_account.token_uri")
    _label: ClassVar[str] = "Dialogflow"
    #: where the sessions are under an environment of the agent
    _env_sessions: ClassVar[str] = "sessions"

    def __init__(self, config: BaseModel, *, ai_agent_id: str, default_language: str) -> None:
        super().__init__(config, ai_agent_id=ai_agent_id, default_language=default_language)
        key: dict[str, Any] = config.service_account  # type: ignore[attr-defined]
        self._timeout_s: float = config.timeout_s  # type: ignore[attr-defined]
        self._tokens = _TokenSource(key, self._timeout_s)
        self._client: httpx.AsyncClient | None = None
        assert isinstance(config, self.Config)
        self.cfg: C = config  # type: ignore[assignment]

    @abstractmethod
    def agent_url(self) -> str:
        """The agent's API URL: its sessions hang off it, validation GETs it."""

    def detect_url(self, conversation_id: str) -> str:
        """The detectIntent URL of a conversation's session."""
        s = session_id(conversation_id)
        base = self.agent_url()
        if self.cfg.environment:
            env = quote(self.cfg.environment, safe="")
            return f"{base}/environments/{env}/{self._env_sessions}/{s}:detectIntent"
        return f"{base}/sessions/{s}:detectIntent"

    @abstractmethod
    def request_body(self, turn: Turn) -> dict[str, Any]:
        """The detectIntent request body for one turn."""

    #: the ``queryResult`` list holding the response messages (ES and CX differ)
    _messages_key: ClassVar[str] = "fulfillmentMessages"

    async def detect(self, turn: Turn) -> dict[str, Any]:
        """Send the turn to detectIntent; the ``queryResult`` of the reply.

        A 2xx body of the wrong shape is a transient failure, never an empty reply."""
        data = await self._call(
            "POST", self.detect_url(turn.conversation_id), self.request_body(turn)
        )
        problem = _answer_problem(data, self._messages_key)
        if problem is not None:
            raise TransientError(f"{self._label} detectIntent answered badly: {problem}")
        result: dict[str, Any] = data.get("queryResult") or {}
        return result

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
                raise TransientError(
                    f"{self._label} HTTP {status}: {_google_error(resp)}",
                    retry_after_s=retry_after_seconds(resp.headers.get("retry-after")),
                )
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
