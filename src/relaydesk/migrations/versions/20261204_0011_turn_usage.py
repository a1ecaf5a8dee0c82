"""Token usage of language-model turns: bot_turns.prompt_tokens, .completion_tokens

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bot_turns") as batch:
        batch.add_column(sa.Column("prompt_tokens", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("completion_tokens", sa.Integer(), nullable=True))
    op.create_index(
        "ix_bot_turns_ai_agent_finished", "bot_turns", ["ai_agent_id", "finished_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_bot_turns_ai_agent_finished", table_name="bot_turns")
    with op.batch_alter_table("bot_turns") as batch:
        batch.drop_column("completion_tokens")
        batch.drop_column("prompt_tokens")
