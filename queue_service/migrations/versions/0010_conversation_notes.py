"""internal notes on a conversation: an agent's own, and a supervisor's whisper to the agent

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_notes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("author", sa.String(32), nullable=False),
        sa.Column("author_name", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_conversation_notes_conversation_id", "conversation_notes", ["conversation_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_conversation_notes_conversation_id", "conversation_notes")
    op.drop_table("conversation_notes")
