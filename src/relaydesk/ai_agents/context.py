"""What some connectors need beyond the turn itself: the conversation's recent history and
a search of the app's knowledge base. Read in sessions of their own, outside the turn's
transactions, and only for the connectors that ask (``history_messages``, ``uses_knowledge``).
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from relaydesk.ai_agents.base import Connector, HistoryEntry, KnowledgeHit, KnowledgeSearch, Turn
from relaydesk.knowledge.models import Article
from relaydesk.knowledge.search import search
from relaydesk.messages.models import Message

#: an article this long or shorter is given whole; a longer one by its matching passage
WHOLE_ARTICLE_CHARS = 2000
_SPOKEN = ("contact", "agent", "ai_agent")


async def history(
    maker: async_sessionmaker[AsyncSession], *, turn: Turn, limit: int
) -> list[HistoryEntry]:
    """The conversation's last ``limit`` messages from people and bots, oldest first, up to
    and including the turn's own message."""
    query = select(Message.seq, Message.sender_type, Message.text, Message.attachments).where(
        Message.conversation_id == turn.conversation_id, Message.sender_type.in_(_SPOKEN)
    )
    async with maker() as session:
        if turn.message_id is not None:
            own = await session.scalar(select(Message.seq).where(Message.id == turn.message_id))
            if own is not None:
                query = query.where(Message.seq <= own)
        rows = (await session.execute(query.order_by(Message.seq.desc()).limit(limit))).all()
    return [
        HistoryEntry(sender_type=r.sender_type, text=r.text, attachments=list(r.attachments or []))
        for r in reversed(rows)
    ]


def knowledge_search(maker: async_sessionmaker[AsyncSession], *, app_id: str) -> KnowledgeSearch:
    """A search of the app's knowledge base, each hit with a passage to answer from."""

    async def run(query: str, limit: int, language: str | None) -> list[KnowledgeHit]:
        async with maker() as session:
            hits = await search(session, app_id=app_id, query=query, limit=limit, language=language)
            if not hits:
                return []
            found = await session.execute(
                select(Article.id, Article.body).where(
                    Article.app_id == app_id, Article.id.in_([h.id for h in hits])
                )
            )
            bodies = {article_id: body for article_id, body in found}
        return [
            KnowledgeHit(
                title=h.title,
                url=h.url,
                passage=body
                if len(body := bodies.get(h.id, "")) <= WHOLE_ARTICLE_CHARS
                else h.snippet,
            )
            for h in hits
        ]

    return run


async def enrich(maker: async_sessionmaker[AsyncSession], connector: Connector, turn: Turn) -> Turn:
    """The turn with the history and knowledge search its connector asks for."""
    changes: dict[str, object] = {}
    if connector.history_messages > 0:
        changes["history"] = await history(maker, turn=turn, limit=connector.history_messages)
    if connector.uses_knowledge:
        changes["knowledge"] = knowledge_search(maker, app_id=turn.app_id)
    return dataclasses.replace(turn, **changes) if changes else turn  # type: ignore[arg-type]
