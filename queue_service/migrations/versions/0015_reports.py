"""reports: the questions each session could not answer, and the indexes the reports use

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # {"<decline reason>:<the user's question, masked>": times}: the report of unanswered
    # questions sums these in SQL instead of reading the transcript. Null in sessions closed
    # before this revision (they are left out of that report).
    op.add_column("bot_sessions", sa.Column("unanswered", sa.JSON, nullable=True))
    # Sessions of a skill over a period (bot_sessions already has started_at alone, with
    # channel and with outcome: migration 0013).
    op.create_index("ix_bot_sessions_skill", "bot_sessions", ["skill", "started_at"])
    # Chats over a period (waits by hour, handle time and ratings per agent and per skill); the
    # agent's own index (agent, assigned_at) serves one agent, not a period.
    op.create_index("ix_chats_assigned_at", "chats", ["assigned_at"])
    op.create_index("ix_chats_skill", "chats", ["skill", "assigned_at"])


def downgrade() -> None:
    op.drop_index("ix_chats_skill", "chats")
    op.drop_index("ix_chats_assigned_at", "chats")
    op.drop_index("ix_bot_sessions_skill", "bot_sessions")
    op.drop_column("bot_sessions", "unanswered")
