"""conversation_reads: how far each reader (contact, agent) has read a conversation

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import relaydesk.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversation_reads",
        sa.Column("conversation_id", sa.String(length=40), nullable=False),
        sa.Column("reader_type", sa.String(length=10), nullable=False),
        sa.Column("reader_id", sa.String(length=40), nullable=False),
        sa.Column(
            "message_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("message_id", sa.String(length=40), nullable=False),
        sa.Column("read_at", relaydesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_reads_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "conversation_id", "reader_type", "reader_id", name=op.f("pk_conversation_reads")
        ),
    )


def downgrade() -> None:
    op.drop_table("conversation_reads")
