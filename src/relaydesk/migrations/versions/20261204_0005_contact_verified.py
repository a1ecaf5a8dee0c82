"""contacts.verified: the identity was vouched for (by the app's server or a user_hash)

Contacts made before this revision count as verified unless their external id is one the
widget made up for an anonymous visitor (``visitor-…``), so an unverified widget session
cannot take over a contact the app's own systems created.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(
            sa.Column("verified", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE contacts SET verified = (external_id NOT LIKE 'visitor-%')")


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("verified")
