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

The package, by concept: ``request`` (what a turn sends), ``render`` (Lex answers as bot
messages), ``config`` (the configuration models), ``common`` (boto3 clients, error mapping
and the base class both connectors share), ``v2`` and ``v1`` (the two connectors).
"""

from __future__ import annotations

from relaydesk.ai_agents.lex.config import LexV1Config, LexV2Config
from relaydesk.ai_agents.lex.render import strip_ssml, v1_messages, v2_messages
from relaydesk.ai_agents.lex.request import (
    MAX_TEXT,
    MEDIA_TEXT,
    WELCOME_TEXT,
    km_attachments,
    lex_session_id,
    turn_input,
)
from relaydesk.ai_agents.lex.v1 import LexV1Connector
from relaydesk.ai_agents.lex.v2 import FALLBACK_STATE_KEY, LexV2Connector, alias_label, pick_locale

__all__ = [
    "FALLBACK_STATE_KEY",
    "MAX_TEXT",
    "MEDIA_TEXT",
    "WELCOME_TEXT",
    "LexV1Config",
    "LexV1Connector",
    "LexV2Config",
    "LexV2Connector",
    "alias_label",
    "km_attachments",
    "lex_session_id",
    "pick_locale",
    "strip_ssml",
    "turn_input",
    "v1_messages",
    "v2_messages",
]
