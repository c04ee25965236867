"""chat images: what users and agents send each other in a human chat

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_images",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("conversation_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("sender", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_chat_images_conversation_id", "chat_images", ["conversation_id"])


def downgrade() -> None:
    op.drop_index("ix_chat_images_conversation_id", "chat_images")
    op.drop_table("chat_images")
