"""chats (one per agent conversation) and the agent of each transcript line

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chats",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(200), nullable=False),
        sa.Column("skill", sa.String(32), nullable=False),
        sa.Column("agent", sa.String(32), nullable=False),
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disposition", sa.String(32), nullable=True),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("csat_comment", sa.Text(), nullable=True),
    )
    op.create_index("ix_chats_conversation_id", "chats", ["conversation_id", "id"])
    op.create_index("ix_chats_agent", "chats", ["agent", "assigned_at"])
    op.add_column("transcript_messages", sa.Column("agent", sa.String(32), nullable=True))
    op.create_index("ix_transcript_agent", "transcript_messages", ["agent", "id"])


def downgrade() -> None:
    op.drop_index("ix_transcript_agent", table_name="transcript_messages")
    with op.batch_alter_table("transcript_messages") as batch:
        batch.drop_column("agent")
    op.drop_index("ix_chats_agent", table_name="chats")
    op.drop_index("ix_chats_conversation_id", table_name="chats")
    op.drop_table("chats")
