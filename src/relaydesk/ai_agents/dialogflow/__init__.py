"""Dialogflow ES (v2) and CX (v3) connectors over REST: httpx + google-auth service accounts.

The OAuth2 access token comes from the service-account key's own ``token_uri`` (so a local
fake can stand in for Google); it is fetched off the event loop and cached until it expires.
A 401 from the API drops the cached token and retries the call once with a fresh one.

The package, by concept: ``config`` (the configuration models), ``auth`` (service-account
tokens), ``common`` (the base class both connectors share: HTTP, errors, the turn's context),
``render`` (answers as bot messages), ``es`` and ``cx`` (the two connectors).
"""

from __future__ import annotations

from relaydesk.ai_agents.dialogflow.auth import SCOPES
from relaydesk.ai_agents.dialogflow.common import session_id
from relaydesk.ai_agents.dialogflow.config import (
    DEFAULT_ES_ENDPOINT,
    DialogflowCXConfig,
    DialogflowESConfig,
)
from relaydesk.ai_agents.dialogflow.cx import DialogflowCXConnector
from relaydesk.ai_agents.dialogflow.es import DialogflowESConnector
from relaydesk.ai_agents.dialogflow.render import cx_messages, es_messages

__all__ = [
    "DEFAULT_ES_ENDPOINT",
    "SCOPES",
    "DialogflowCXConfig",
    "DialogflowCXConnector",
    "DialogflowESConfig",
    "DialogflowESConnector",
    "cx_messages",
    "es_messages",
    "session_id",
]
