"""Configuration of the Dialogflow AI-agent kinds (ES and CX) and their service-account key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from relaydesk.ai_agents.webhook import WELCOME_EVENT

DEFAULT_ES_ENDPOINT = "https://dialogflow.googleapis.com"
_KEY_FIELDS = ("type", "private_key", "client_email", "token_uri")


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


class _DialogflowConfigBase(BaseModel):
    """What the configs of both kinds share: the service-account key, the endpoint check."""

    model_config = ConfigDict(extra="forbid")

    service_account: dict[str, Any] = Field(repr=False)
    if TYPE_CHECKING:  # a field of both kinds, declared in each to keep its place in the model
        environment: str | None

    @field_validator("service_account")
    @classmethod
    def _key(cls, v: dict[str, Any]) -> dict[str, Any]:
        """The JSON key must be complete."""
        return _check_key(v)

    @field_validator("api_endpoint", check_fields=False)
    @classmethod
    def _endpoint(cls, v: str | None) -> str | None:
        """An absolute http(s) base URL, without a trailing slash."""
        if v is None:
            return None
        if not v.startswith(("https://", "http://")):
            raise ValueError("api_endpoint must be an http(s) URL")
        return v.rstrip("/")


class DialogflowESConfig(_DialogflowConfigBase):
    """Config of a ``dialogflow_es`` AI agent."""

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

    @property
    def project_id(self) -> str:
        """The Google Cloud project of the agent (from the key)."""
        return str(self.service_account["project_id"])


class DialogflowCXConfig(_DialogflowConfigBase):
    """Config of a ``dialogflow_cx`` AI agent."""

    agent: str
    api_endpoint: str | None = None
    environment: str | None = None
    welcome_event: str = WELCOME_EVENT
    timeout_s: float = Field(default=20.0, gt=0, le=120)

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
