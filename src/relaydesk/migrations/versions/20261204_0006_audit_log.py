"""audit_log: admin actions (settings, agents, teams, AI agents, webhooks, API keys)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa

import relaydesk.db
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", _BIGINT, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(40), nullable=False, unique=True),
        sa.Column(
            "app_id", sa.String(40), sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("at", relaydesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_type", sa.String(20), nullable=False),
        sa.Column("actor_id", sa.String(40)),
        sa.Column("actor_name", sa.String(200)),
        sa.Column("ip", sa.String(64)),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target_type", sa.String(20), nullable=False),
        sa.Column("target_id", sa.String(40)),
        sa.Column("target_name", sa.String(200)),
        sa.Column("changes", _JSON, nullable=False),
    )
    op.create_index("ix_audit_log_app_seq", "audit_log", ["app_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_app_seq", table_name="audit_log")
    op.drop_table("audit_log")
