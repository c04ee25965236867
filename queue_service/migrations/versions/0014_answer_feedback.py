"""answer feedback: 有用 / 没用 per session and entry, and the entry answered before a handoff

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Sessions written before this revision had no 有用 / 没用 buttons: zero and empty are true.
_EMPTY = sa.text("'{}'")


def upgrade() -> None:
    with op.batch_alter_table("bot_sessions") as table:
        table.add_column(sa.Column("useful", sa.Integer, nullable=False, server_default="0"))
        table.add_column(sa.Column("not_useful", sa.Integer, nullable=False, server_default="0"))
        # {FAQ entry id: [useful, not useful]}, the user's last verdict per entry in the session.
        table.add_column(sa.Column("feedback", sa.JSON, nullable=False, server_default=_EMPTY))
        # {FAQ entry id: 1}: the entry answered last before the session's first handoff request.
        table.add_column(sa.Column("handoff_after", sa.JSON, nullable=False, server_default=_EMPTY))


def downgrade() -> None:
    with op.batch_alter_table("bot_sessions") as table:
        for name in ("handoff_after", "feedback", "not_useful", "useful"):
            table.drop_column(name)
