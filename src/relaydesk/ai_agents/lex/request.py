"""What a Lex turn sends: input text, request and session attributes, the session id."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from relaydesk.ai_agents.base import Turn

WELCOME_TEXT = "kmConversationStarted"
MEDIA_TEXT = "kommunicateMediaEvent"
MAX_TEXT = 1024

_SESSION_CHARS = re.compile(r"[^0-9A-Za-z._:-]")


def lex_session_id(conversation_id: str) -> str:
    """The conversation id reduced to Lex's ``[0-9A-Za-z._:-]{2,100}``, distinct per id."""
    cleaned = _SESSION_CHARS.sub("", conversation_id)
    if cleaned == conversation_id and 2 <= len(cleaned) <= 100:
        return cleaned
    digest = hashlib.sha256(conversation_id.encode()).hexdigest()[:16]
    return f"{cleaned[:83]}-{digest}" if cleaned else f"km-{digest}"


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
