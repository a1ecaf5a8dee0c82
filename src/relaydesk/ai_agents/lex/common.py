"""The base both Lex connectors share: boto3 clients, error mapping and the thread hop.

boto3 clients are made once per connector, with explicit timeouts and no botocore retries
(``total_max_attempts: 1``: one HTTP call per try, so the durable turn queue's backoff, and
the provider's ``Retry-After``, are the only retrying), and are called in the provider
threads (``ai_agents.blocking``). A runtime answer of 2xx whose body is not a JSON object is a
transient failure (:class:`MalformedAnswer`), never an empty or garbled reply.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, ClassVar, Generic, TypeVar

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
from pydantic import BaseModel

from relaydesk.ai_agents.base import (
    ConfigInvalid,
    Connector,
    ConnectorError,
    PermanentError,
    TransientError,
    retry_after_seconds,
)
from relaydesk.ai_agents.blocking import run_blocking
from relaydesk.ai_agents.lex.config import _LexConfigBase

log = logging.getLogger("relaydesk.ai_agents.lex")

#: the configuration model of a Lex connector
C = TypeVar("C", bound=_LexConfigBase)

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

#: the services whose 2xx answers are checked before botocore parses them
RUNTIME_SERVICES = ("lexv2-runtime", "lex-runtime")

_SESSION_LOCK = threading.Lock()
_SESSION: list[boto3.session.Session] = []


def _boto_session() -> boto3.session.Session:
    """One boto3 session for the process: its loader caches the service models.

    Credentials are never taken from it: every client gets its AI agent's keys explicitly.
    """
    if not _SESSION:
        _SESSION.append(boto3.session.Session())
    return _SESSION[0]


class MalformedAnswer(Exception):
    """A 2xx runtime answer whose body is not a JSON object (a proxy's page, a cut body)."""


def check_body(response_dict: dict[str, Any], **_: Any) -> None:
    """botocore ``before-parse`` hook: raise MalformedAnswer for a 2xx body that is not an
    object (botocore would turn it into an empty answer, or V1's ``message`` text)."""
    status = int(response_dict.get("status_code") or 0)
    if not 200 <= status < 300:
        return
    body = response_dict.get("body") or b""
    try:
        parsed = json.loads(body)
    except (ValueError, TypeError):
        raise MalformedAnswer(f"HTTP {status} body is not JSON ({len(body)} bytes)") from None
    if not isinstance(parsed, dict):
        kind = type(parsed).__name__
        raise MalformedAnswer(f"HTTP {status} body is a JSON {kind}, not an object")


class _LexConnector(Connector, Generic[C]):
    """boto3 clients (made once, lazily), error mapping and the thread hop; ``cfg`` is a ``C``."""

    secret_fields: ClassVar[tuple[str, ...]] = ("secret_access_key",)
    url_fields: ClassVar[tuple[str, ...]] = ("endpoint_url",)
    label: ClassVar[str] = "Lex"

    def __init__(self, config: BaseModel, *, ai_agent_id: str, default_language: str) -> None:
        super().__init__(config, ai_agent_id=ai_agent_id, default_language=default_language)
        self.cfg: C = config  # type: ignore[assignment]
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()

    async def aclient(self, service: str) -> Any:
        """The client of ``service``: at once when made, else made in a provider thread."""
        existing = self._clients.get(service)
        if existing is not None:
            return existing
        return await run_blocking(self.client, service)

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
                        retries={"total_max_attempts": 1, "mode": "standard"},
                        max_pool_connections=32,
                        user_agent_extra="relaydesk",
                    ),
                )
            if service in RUNTIME_SERVICES:
                made.meta.events.register("before-parse", check_body)
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
                headers = (exc.response.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}
                text = f"{self.label} {action} failed (HTTP {status}, {detail})"
                after = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
                wait = retry_after_seconds(after)
                return TransientError(self._scrub(text), retry_after_s=wait)
            if code in _NOT_FOUND_CODES:
                return PermanentError(self._scrub(f"{self.label} {action}: not found: {detail}"))
            return PermanentError(
                self._scrub(f"{self.label} rejected {action} (HTTP {status}): {detail}")
            )
        if isinstance(exc, MalformedAnswer):
            return TransientError(self._scrub(f"{self.label} {action} answered badly: {exc}"))
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

    def config_invalid(self, exc: TransientError | PermanentError, missing: str) -> ConfigInvalid:
        """A failed validation call as ConfigInvalid; ``missing`` says what AWS did not find."""
        if isinstance(exc, TransientError):
            return ConfigInvalid(f"could not check the {self.label} configuration: {exc}")
        text = str(exc)
        if "not found" in text and not text.startswith("AWS"):
            text = f"{missing} in {self.cfg.region} ({text})"
        return ConfigInvalid(text)

    async def call(self, action: str, fn: Any, /, **kwargs: Any) -> dict[str, Any]:
        """Run a blocking boto3 call in a thread; map its failures to ConnectorError."""
        try:
            result: dict[str, Any] = await run_blocking(fn, **kwargs)
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
