"""Dialogflow answers as bot messages: ES ``fulfillmentMessages``, CX ``responseMessages``."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from relaydesk.ai_agents.base import (
    BotMessage,
    card,
    cards,
    image,
    message_from_payload,
    quick_replies,
)


def _text_or_payload(m: dict[str, Any]) -> list[BotMessage] | None:
    """A ``text`` or ``payload`` response message (alike in ES and CX) as bot messages.

    None for any other kind of message; a payload with neither text nor metadata gives [].
    """
    if "text" in m:
        return [BotMessage(text=t) for t in (m["text"] or {}).get("text") or [] if t]
    if "payload" in m:
        msg = message_from_payload(m["payload"])
        return [msg] if msg is not None and (msg.text is not None or msg.metadata) else []
    return None


def _es_card(c: dict[str, Any]) -> dict[str, Any]:
    """An ES ``card`` message as a relaydesk card (a button posts back its text by default)."""
    buttons = [
        (b.get("text", ""), b.get("postback") or b.get("text", "")) for b in c.get("buttons") or []
    ]
    return card(
        title=c.get("title"),
        subtitle=c.get("subtitle"),
        image_url=c.get("imageUri"),
        buttons=buttons,
    )


def es_messages(query_result: dict[str, Any]) -> list[BotMessage]:
    """Map an ES ``queryResult`` to bot messages (default-platform messages only).

    Consecutive cards form one carousel.
    """
    out: list[BotMessage] = []
    default_platform = [
        m
        for m in query_result.get("fulfillmentMessages") or []
        if isinstance(m, dict) and m.get("platform") in (None, "", "PLATFORM_UNSPECIFIED")
    ]
    for is_card, run in groupby(default_platform, key=lambda m: "card" in m):
        if is_card:
            out.append(cards([_es_card(m["card"] or {}) for m in run]))
            continue
        for m in run:
            shared = _text_or_payload(m)
            if shared is not None:
                out.extend(shared)
            elif "quickReplies" in m:
                q = m["quickReplies"] or {}
                out.append(
                    quick_replies(list(q.get("quickReplies") or []), text=q.get("title") or None)
                )
            elif "image" in m:
                i = m["image"] or {}
                if i.get("imageUri"):
                    out.append(image(i["imageUri"], i.get("accessibilityText")))
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
        shared = _text_or_payload(m)
        if shared is not None:
            out.extend(shared)
        elif "liveAgentHandoff" in m:
            handoff = True
    return out, handoff
