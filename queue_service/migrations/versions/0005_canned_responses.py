"""canned responses (常用语)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Schema only: supervisors write the texts in the console, none are shipped.
    op.create_table(
        "canned_responses",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("shortcut", sa.String(33), nullable=False),
        sa.Column("title", sa.String(40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("skill", sa.String(32), nullable=True),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("shortcut", name="uq_canned_responses_shortcut"),
    )


def downgrade() -> None:
    op.drop_table("canned_responses")
