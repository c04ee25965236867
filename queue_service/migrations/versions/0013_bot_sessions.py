"""bot sessions: one row per closed conversation session with its outcome and counts

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

# The revision id lives here only (queue_service/outcomes.py does not name it).
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bot_sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        # contained, handed_off, abandoned or left_message (docs/metrics.md).
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("first_line_id", sa.Integer, nullable=False),
        sa.Column("last_line_id", sa.Integer, nullable=False),
        sa.Column("user_turns", sa.Integer, nullable=False),
        sa.Column("bot_turns", sa.Integer, nullable=False),
        sa.Column("answers", sa.Integer, nullable=False),
        sa.Column("declines", sa.Integer, nullable=False),
        sa.Column("suggestions", sa.Integer, nullable=False),
        sa.Column("queries", sa.Integer, nullable=False),
        # {FAQ entry id: answers given}; the 猜你想问 offers' entries the same way.
        sa.Column("entries", sa.JSON, nullable=False),
        sa.Column("suggested", sa.JSON, nullable=False),
        # A person was asked for (at any step); the user was in the queue (waited for one).
        sa.Column("handoff_requested", sa.Boolean, nullable=False),
        sa.Column("queued", sa.Boolean, nullable=False),
        sa.Column("skill", sa.String(32), nullable=True),
        sa.Column("chat_id", sa.Integer, nullable=True),
        sa.Column("ticket_id", sa.Integer, nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("conversation_id", "started_at", name="uq_bot_sessions_start"),
    )
    op.create_index("ix_bot_sessions_started_at", "bot_sessions", ["started_at"])
    op.create_index("ix_bot_sessions_channel", "bot_sessions", ["channel", "started_at"])
    op.create_index("ix_bot_sessions_outcome", "bot_sessions", ["outcome", "started_at"])
    # The job's own state: how far into the transcript it has read (one row per name).
    op.create_table(
        "bot_session_marks",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("bot_session_marks")
    op.drop_index("ix_bot_sessions_outcome", "bot_sessions")
    op.drop_index("ix_bot_sessions_channel", "bot_sessions")
    op.drop_index("ix_bot_sessions_started_at", "bot_sessions")
    op.drop_table("bot_sessions")
