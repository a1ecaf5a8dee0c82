"""Lex answers as relaydesk bot messages: text, SSML, custom payloads, response cards."""

from __future__ import annotations

import html
import json
import re
from itertools import groupby
from typing import Any

from relaydesk.ai_agents.base import BotMessage, card, cards, message_from_text_or_payload

_TAG = re.compile(r"<[^>]*>")


def strip_ssml(ssml: str) -> str:
    """SSML as plain text: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(_TAG.sub(" ", ssml)).split())


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


def _card(c: dict[str, Any], subtitle_key: str) -> dict[str, Any]:
    """A V2 ``imageResponseCard`` (``subtitle``) or V1 ``genericAttachment`` (``subTitle``)."""
    return card(
        title=c.get("title"),
        subtitle=c.get(subtitle_key),
        image_url=c.get("imageUrl"),
        buttons=_buttons(c.get("buttons")),
    )


def _wrong(value: Any, kind: type | tuple[type, ...]) -> bool:
    """True when ``value`` is present (not None) and not of ``kind``."""
    return value is not None and not isinstance(value, kind)


def v2_problem(resp: dict[str, Any]) -> str | None:
    """Why a RecognizeText answer is malformed (a field of the wrong type), or None."""
    messages = resp.get("messages")
    if _wrong(messages, list):
        return "messages is not a list"
    for m in messages or []:
        if not isinstance(m, dict) or _wrong(m.get("content"), str):
            return "a message is not an object with text content"
    if _wrong(resp.get("sessionState"), dict) or _wrong(resp.get("interpretations"), list):
        return "sessionState or interpretations has the wrong type"
    return None


def v1_problem(resp: dict[str, Any]) -> str | None:
    """Why a PostText answer is malformed (a field of the wrong type), or None."""
    for key in ("message", "messageFormat", "dialogState", "intentName"):
        if _wrong(resp.get(key), str):
            return f"{key} is not a string"
    if _wrong(resp.get("responseCard"), dict):
        return "responseCard is not an object"
    return None


def v2_messages(messages: list[dict[str, Any]]) -> list[BotMessage]:
    """Lex V2 ``messages[]`` in order; consecutive ImageResponseCards form one carousel."""
    out: list[BotMessage] = []
    for is_card, run in groupby(
        messages, key=lambda m: m.get("contentType") == "ImageResponseCard"
    ):
        if is_card:
            out.append(cards([_card(m.get("imageResponseCard") or {}, "subtitle") for m in run]))
            continue
        for m in run:
            out.extend(_bot_messages(m.get("contentType"), m.get("content")))
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
    items = [_card(a, "subTitle") for a in attachments if isinstance(a, dict)]
    if items:
        out.append(cards(items))
    return out
