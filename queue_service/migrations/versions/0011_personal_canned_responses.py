"""personal canned responses: an agent's own, beside the team's

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("canned_responses") as batch:
        # The agent whose own entry it is; NULL: the team's, kept by supervisors.
        batch.add_column(sa.Column("owner", sa.String(32), nullable=True))
    op.create_index("ix_canned_responses_owner", "canned_responses", ["owner"])


def downgrade() -> None:
    op.drop_index("ix_canned_responses_owner", "canned_responses")
    with op.batch_alter_table("canned_responses") as batch:
        batch.drop_column("owner")
