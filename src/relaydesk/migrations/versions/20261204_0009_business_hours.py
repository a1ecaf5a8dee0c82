"""Business hours: routing_settings.business_hours and .outside_hours, teams.business_hours

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)


def upgrade() -> None:
    with op.batch_alter_table("routing_settings") as batch:
        batch.add_column(sa.Column("business_hours", _JSON, nullable=True))
        batch.add_column(
            sa.Column("outside_hours", sa.String(10), nullable=False, server_default="assign")
        )
    with op.batch_alter_table("teams") as batch:
        batch.add_column(sa.Column("business_hours", _JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.drop_column("business_hours")
    with op.batch_alter_table("routing_settings") as batch:
        batch.drop_column("outside_hours")
        batch.drop_column("business_hours")
