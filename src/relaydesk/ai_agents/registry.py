"""The connector registry: AI-agent kind → connector class, without importing the members.

The kinds shipped with relaydesk are an explicit table of ``module:Class`` paths. A
connector installed as a package of its own registers under the entry-point group
``relaydesk.connectors`` (name = the kind, value = ``package.module:Class``); built-in
kinds cannot be replaced that way. A class is imported the first time its kind is used.
"""

from __future__ import annotations

import functools
import importlib
import logging
from importlib.metadata import entry_points

from relaydesk.ai_agents.base import Connector

log = logging.getLogger("relaydesk.ai_agents")

ENTRY_POINT_GROUP = "relaydesk.connectors"

BUILTIN: dict[str, str] = {
    "lex_v2": "relaydesk.ai_agents.lex:LexV2Connector",
    "lex_v1": "relaydesk.ai_agents.lex:LexV1Connector",
    "dialogflow_es": "relaydesk.ai_agents.dialogflow:DialogflowESConnector",
    "dialogflow_cx": "relaydesk.ai_agents.dialogflow:DialogflowCXConnector",
    "webhook": "relaydesk.ai_agents.webhook:WebhookConnector",
    "builtin": "relaydesk.ai_agents.builtin:BuiltinConnector",
    "openai": "relaydesk.ai_agents.llm:OpenAIConnector",
}


@functools.cache
def table() -> dict[str, str]:
    """Every known kind and where its class lives: the built-ins, then installed packages."""
    known = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in known:
            log.warning("connector %s from %s ignored: the kind is built in", ep.name, ep.value)
            continue
        known[ep.name] = ep.value
    return known


def kinds() -> list[str]:
    """The kinds an AI agent can have here."""
    return sorted(table())


@functools.cache
def connector_class(kind: str) -> type[Connector]:
    """The connector class of ``kind``; KeyError for unknown (or unloadable) kinds."""
    path = table()[kind]
    module_name, _, attr = path.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        log.error("connector %s (%s) cannot be loaded: %s", kind, path, exc)
        raise KeyError(kind) from exc
    if not (isinstance(cls, type) and issubclass(cls, Connector)) or cls.kind != kind:
        log.error("%s is not a Connector subclass with kind %r", path, kind)
        raise KeyError(kind)
    return cls
