"""What the ``openai`` AI agent sends the model: the system prompt, the conversation as
chat messages, the tools, and each knowledge-search tool result."""

from __future__ import annotations

import json
from typing import Any

from relaydesk.ai_agents.base import HistoryEntry, Turn

KNOWLEDGE_HITS = 4

DEFAULT_PROMPT = (
    "You are a friendly, concise customer-support assistant. Answer only what you know; "
    "never invent policies, prices or links."
)

KNOWLEDGE_GUIDE = (
    "Before answering a question about the product or its policies, call search_knowledge "
    "and answer from the articles it returns, citing an article's URL when it helps. If the "
    "articles do not answer the question, say so and offer a human."
)

HANDOFF_GUIDE = (
    "Call handoff_to_human when the contact asks for a person, is upset, or when you cannot "
    "help; name a team only when the contact's need clearly belongs to it. Call "
    "resolve_conversation when the contact confirms their question is answered."
)

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "search_knowledge",
            "description": "Search the help-centre articles; returns the best matches.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string", "description": "What to look up"}},
                "required": ["query"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "handoff_to_human",
            "description": "Hand the conversation to a human agent.",
            "parameters": {
                "type": "object",
                "properties": {
                    "reason": {"type": "string", "description": "Why a human is needed"},
                    "team": {"type": "string", "description": "A team's name or id (optional)"},
                },
                "required": ["reason"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "resolve_conversation",
            "description": "Mark the conversation resolved: the contact's need is met.",
            "parameters": {"type": "object", "properties": {}},
        },
    },
]


def describe_attachments(attachments: list[dict[str, Any]]) -> str:
    """Attachments as text the model can read: name, type and (signed) URL."""
    lines = []
    for a in attachments:
        name = a.get("name") or "file"
        kind = a.get("mime_type") or "application/octet-stream"
        url = f" {a['url']}" if a.get("url") else ""
        lines.append(f"[attachment: {name} ({kind}){url}]")
    return "\n".join(lines)


def _content(entry: HistoryEntry) -> str:
    parts = [entry.text or "", describe_attachments(entry.attachments)]
    return "\n".join(p for p in parts if p)


def chat_messages(
    system_prompt: str | None, turn: Turn, *, knowledge: bool
) -> list[dict[str, Any]]:
    """The request's messages: the system prompt, then the history (or the turn's own
    message when there is none)."""
    system = [system_prompt or DEFAULT_PROMPT]
    if knowledge:
        system.append(KNOWLEDGE_GUIDE)
    system.append(HANDOFF_GUIDE)
    system.append(
        f"The contact's language is {turn.language}: reply in it."
        + (f" The contact's name is {turn.contact.name}." if turn.contact.name else "")
    )
    messages: list[dict[str, Any]] = [{"role": "system", "content": "\n\n".join(system)}]
    history = turn.history or [
        HistoryEntry(sender_type="contact", text=turn.text, attachments=turn.attachments)
    ]
    for entry in history:
        content = _content(entry)
        if content:
            role = "user" if entry.sender_type == "contact" else "assistant"
            messages.append({"role": role, "content": content})
    if turn.location and not turn.history:
        where = f"[location: {turn.location.get('lat')}, {turn.location.get('lon')}]"
        messages.append({"role": "user", "content": where})
    return messages


async def tool_result(name: str, arguments: str, turn: Turn) -> str:
    """The content of a tool message answering a ``search_knowledge`` (or unknown) call."""
    try:
        args = json.loads(arguments or "{}")
    except ValueError:
        return json.dumps({"error": "the arguments are not JSON"})
    if name != "search_knowledge" or turn.knowledge is None:
        return json.dumps({"error": f"no tool named {name!r}"})
    query = str(args.get("query") or "").strip() if isinstance(args, dict) else ""
    if not query:
        return json.dumps({"error": "query is required"})
    hits = await turn.knowledge(query, KNOWLEDGE_HITS, turn.language)
    articles = [{"title": h.title, "url": h.url, "passage": h.passage} for h in hits]
    return json.dumps({"articles": articles}, ensure_ascii=False)
