"""Auto-resolve and satisfaction ratings: routing_settings.auto_resolve and .csat,
conversations.last_sender_type (backfilled from the messages) and .resolved_at, ratings

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import relaydesk.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)


def _time(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, relaydesk.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("routing_settings") as batch:
        batch.add_column(sa.Column("auto_resolve", _JSON, nullable=True))
        batch.add_column(sa.Column("csat", _JSON, nullable=True))
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("last_sender_type", sa.String(10), nullable=True))
        batch.add_column(_time("resolved_at"))
    op.execute(
        "UPDATE conversations SET last_sender_type = (SELECT m.sender_type FROM messages m "
        "WHERE m.conversation_id = conversations.id AND m.sender_type <> 'system' "
        "ORDER BY m.created_at DESC, m.id DESC LIMIT 1)"
    )
    op.execute("UPDATE conversations SET resolved_at = updated_at WHERE status = 'resolved'")
    op.create_index(
        "ix_conversations_idle", "conversations", ["app_id", "status", "last_message_at"]
    )
    op.create_table(
        "ratings",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "app_id", sa.String(40), sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "conversation_id",
            sa.String(40),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _time("resolved_at", nullable=False),
        sa.Column("contact_id", sa.String(40), nullable=False),
        sa.Column("agent_id", sa.String(40), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=False),
        sa.UniqueConstraint("conversation_id", "resolved_at", name="uq_ratings_resolution"),
    )
    op.create_index("ix_ratings_app_created", "ratings", ["app_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_ratings_app_created", table_name="ratings")
    op.drop_table("ratings")
    op.drop_index("ix_conversations_idle", table_name="conversations")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("resolved_at")
        batch.drop_column("last_sender_type")
    with op.batch_alter_table("routing_settings") as batch:
        batch.drop_column("csat")
        batch.drop_column("auto_resolve")
