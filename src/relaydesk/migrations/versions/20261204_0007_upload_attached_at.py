"""uploads.attached_at: when a message first carried the file (files never attached are
swept); files stored before this revision count as attached, so the upgrade deletes nothing

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import relaydesk.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.add_column(
            sa.Column("attached_at", relaydesk.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE uploads SET attached_at = created_at")
    op.create_index("ix_uploads_unattached", "uploads", ["attached_at", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_uploads_unattached", table_name="uploads")
    with op.batch_alter_table("uploads") as batch:
        batch.drop_column("attached_at")
