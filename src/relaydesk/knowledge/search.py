"""Ranked full-text search of an app's articles, by the database's own engine.

PostgreSQL: the trigger-kept ``search_vector`` (title weighted over body, stemmed in the
article's language, plus an unstemmed copy) matched against the query's words in the
asked language and unstemmed, any word (OR), ranked by ``ts_rank``; the snippet is
``ts_headline``. SQLite: the FTS5 table ``knowledge_fts`` (Porter stemming), any word,
ranked by ``bm25`` with the title weighted; the snippet is FTS5's ``snippet()``.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.knowledge.schemas import SearchHit

MAX_TERMS = 32
MAX_TERM_CHARS = 64
_WORD = re.compile(r"[^\W_]+")

#: BCP 47 primary language → PostgreSQL's text-search configuration for it
TEXT_SEARCH_CONFIGS = dict(
    ar="arabic",
    da="danish",
    de="german",
    el="greek",
    en="english",
    es="spanish",
    fi="finnish",
    fr="french",
    hu="hungarian",
    id="indonesian",
    it="italian",
    lt="lithuanian",
    nb="norwegian",
    ne="nepali",
    nl="dutch",
    no="norwegian",
    pt="portuguese",
    ro="romanian",
    ru="russian",
    sv="swedish",
    ta="tamil",
    tr="turkish",
)

#: words too common to rank by (SQLite has no stop words of its own; PostgreSQL's
#: configurations drop theirs)
# fmt: off
_STOP = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from",
    "had", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "no",
    "not", "of", "on", "or", "our", "so", "than", "that", "the", "their", "them", "then",
    "there", "these", "they", "this", "to", "was", "we", "what", "when", "where", "which",
    "who", "why", "will", "with", "you", "your",
})
# fmt: on


def terms(query: str) -> list[str]:
    """The query's distinct words, lower-cased, at most :data:`MAX_TERMS`."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(query.lower()):
        if len(word) <= MAX_TERM_CHARS:
            seen.setdefault(word, None)
    return list(seen)[:MAX_TERMS]


def text_search_config(language: str | None) -> str:
    primary = (language or "en").replace("_", "-").split("-")[0].lower()
    return TEXT_SEARCH_CONFIGS.get(primary, "simple")


_PG_SEARCH = text(
    """
    WITH q AS (
        SELECT to_tsquery(CAST(:cfg AS regconfig), :expr) || to_tsquery('simple', :expr) AS query
    )
    SELECT a.id, a.title, a.url,
           ts_headline(CAST(:cfg AS regconfig), a.body, q.query,
                       'MaxFragments=2, MaxWords=30, MinWords=12, StartSel="", StopSel="", '
                       'FragmentDelimiter=" … "') AS snippet,
           ts_rank(a.search_vector, q.query) AS score
    FROM knowledge_articles a, q
    WHERE a.app_id = :app_id AND a.search_vector @@ q.query
    ORDER BY score DESC, a.created_at, a.id
    LIMIT :limit
    """
)

_SQLITE_SEARCH = text(
    """
    SELECT a.id, a.title, a.url,
           snippet(knowledge_fts, 3, '', '', ' … ', 40) AS snippet,
           -bm25(knowledge_fts, 0.0, 0.0, 10.0, 1.0, 4.0) AS score
    FROM knowledge_fts JOIN knowledge_articles a ON a.id = knowledge_fts.article_id
    WHERE knowledge_fts MATCH :expr AND knowledge_fts.app_id = :app_id AND a.app_id = :app_id
    ORDER BY score DESC, a.created_at, a.id
    LIMIT :limit
    """
)


async def search(
    session: AsyncSession, *, app_id: str, query: str, limit: int = 5, language: str | None = None
) -> list[SearchHit]:
    """The app's articles that best match ``query``, best first (none for a query without
    words)."""
    words = terms(query)
    if not words:
        return []
    if session.get_bind().dialect.name == "postgresql":
        expr = " | ".join(words)
        params = {"cfg": text_search_config(language), "expr": expr}
        statement = _PG_SEARCH
    else:
        significant = [w for w in words if w not in _STOP] or words
        params = {"expr": " OR ".join(f'"{w}"' for w in significant)}
        statement = _SQLITE_SEARCH
    rows = await session.execute(statement, {**params, "app_id": app_id, "limit": limit})
    return [
        SearchHit(
            id=r.id,
            title=r.title,
            url=r.url,
            snippet=" ".join((r.snippet or "").split()),
            score=round(float(r.score or 0.0), 6),
        )
        for r in rows
    ]
