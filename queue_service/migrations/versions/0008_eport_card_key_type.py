"""a key type per registered e-port card: SM2 for new registrations, ECDSA P-256 before them

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every card registered so far signs with ECDSA P-256; they keep working until re-registered.
    op.add_column(
        "eport_cards",
        sa.Column("key_type", sa.String(16), nullable=False, server_default="ecdsa-p256"),
    )


def downgrade() -> None:
    with op.batch_alter_table("eport_cards") as batch:
        batch.drop_column("key_type")
