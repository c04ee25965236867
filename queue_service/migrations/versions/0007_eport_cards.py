"""registered e-port cards (法人卡 / 操作员卡) for card-media identity

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "eport_cards",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("card_number", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("enterprise_name", sa.String(100), nullable=False),
        sa.Column("holder_name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("card_number", name="uq_eport_cards_card_number"),
    )
    op.create_index("ix_eport_cards_subject", "eport_cards", ["subject"])


def downgrade() -> None:
    op.drop_index("ix_eport_cards_subject", table_name="eport_cards")
    op.drop_table("eport_cards")
