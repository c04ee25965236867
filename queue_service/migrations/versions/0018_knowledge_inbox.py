"""knowledge inbox: open questions per session beyond declines; maintainers' marks on them

The questions a session left open beyond declines, and what a maintainer
did with each question of the studio's inbox (未知问题)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # {"<why>:<the user's question, masked>": times}: 猜你想问 offered, or an answer the user
    # rated 没用 or left for a person (queue_service/outcomes.py); declines stay `unanswered`.
    op.add_column("bot_sessions", sa.Column("inbox", sa.JSON, nullable=True))
    # One row per masked question a maintainer handled from the inbox (studio/inbox.py): it
    # leaves the inbox. `action` is phrasing / new_entry / out_of_scope / ignored.
    op.create_table(
        "kb_inbox_marks",
        sa.Column("question", sa.String(300), primary_key=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("entry", sa.String(64), nullable=True),
        sa.Column("author", sa.String(32), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kb_inbox_marks")
    op.drop_column("bot_sessions", "inbox")
