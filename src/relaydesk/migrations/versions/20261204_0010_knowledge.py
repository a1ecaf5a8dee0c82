"""Knowledge base: knowledge_articles, full-text search (PostgreSQL tsvector, SQLite FTS5)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_VECTOR = sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")

#: BCP 47 primary language → PostgreSQL text-search configuration (else ``simple``)
_PG_CONFIGS = {
    "ar": "arabic", "da": "danish", "de": "german", "el": "greek", "en": "english",
    "es": "spanish", "fi": "finnish", "fr": "french", "hu": "hungarian", "id": "indonesian",
    "it": "italian", "lt": "lithuanian", "nb": "norwegian", "ne": "nepali", "nl": "dutch",
    "no": "norwegian", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sv": "swedish",
    "ta": "tamil", "tr": "turkish",
}  # fmt: skip

_PG_FUNCTION = """
CREATE FUNCTION knowledge_articles_search() RETURNS trigger AS $$
DECLARE
    cfg regconfig;
BEGIN
    cfg := CASE split_part(lower(NEW.language), '-', 1) {cases} ELSE 'simple' END;
    NEW.search_vector :=
        setweight(to_tsvector(cfg, coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector(cfg, coalesce(NEW.body, '')), 'B')
        || setweight(to_tsvector('simple', coalesce(NEW.tags::text, '')), 'C')
        || setweight(to_tsvector('simple', coalesce(NEW.title, '') || ' '
                                 || coalesce(NEW.body, '')), 'D');
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""

_SQLITE_ROW = (
    "INSERT INTO knowledge_fts (article_id, app_id, title, body, tags) "
    "VALUES (new.id, new.app_id, new.title, new.body, new.tags);"
)


def upgrade() -> None:
    op.create_table(
        "knowledge_articles",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "app_id", sa.String(40), sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("url", sa.String(2000), nullable=True),
        sa.Column("tags", _JSON, nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("search_vector", _VECTOR, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_knowledge_articles_app_created", "knowledge_articles", ["app_id", "created_at", "id"]
    )
    op.create_index(
        "ix_knowledge_articles_search",
        "knowledge_articles",
        ["search_vector"],
        postgresql_using="gin",
    )
    if op.get_bind().dialect.name == "postgresql":
        cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in sorted(_PG_CONFIGS.items()))
        op.execute(_PG_FUNCTION.format(cases=cases))
        op.execute(
            "CREATE TRIGGER knowledge_articles_search BEFORE INSERT OR UPDATE OF "
            "title, body, tags, language ON knowledge_articles "
            "FOR EACH ROW EXECUTE FUNCTION knowledge_articles_search()"
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE knowledge_fts USING fts5("
            "article_id UNINDEXED, app_id UNINDEXED, title, body, tags, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        op.execute(
            f"CREATE TRIGGER knowledge_fts_insert AFTER INSERT ON knowledge_articles BEGIN "
            f"{_SQLITE_ROW} END"
        )
        op.execute(
            "CREATE TRIGGER knowledge_fts_delete AFTER DELETE ON knowledge_articles BEGIN "
            "DELETE FROM knowledge_fts WHERE article_id = old.id; END"
        )
        op.execute(
            f"CREATE TRIGGER knowledge_fts_update AFTER UPDATE ON knowledge_articles BEGIN "
            f"DELETE FROM knowledge_fts WHERE article_id = old.id; {_SQLITE_ROW} END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS knowledge_articles_search ON knowledge_articles")
        op.execute("DROP FUNCTION IF EXISTS knowledge_articles_search()")
    else:
        op.execute("DROP TABLE IF EXISTS knowledge_fts")
    op.drop_index("ix_knowledge_articles_search", table_name="knowledge_articles")
    op.drop_index("ix_knowledge_articles_app_created", table_name="knowledge_articles")
    op.drop_table("knowledge_articles")
