"""knowledge publications: every publish of the knowledge base, and the published models

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # queue_service/publishing/store.py says what each column holds.
    op.create_table(
        "knowledge_publications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("progress", sa.String(200), nullable=False, server_default=""),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("revision", sa.Integer),
        sa.Column("restores", sa.Integer),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.Column("model", sa.String(64)),
        sa.Column("evaluation", sa.JSON),
        sa.Column("reasons", sa.JSON),
        sa.Column("error", sa.Text),
    )
    op.create_index(
        "ix_knowledge_publications_state", "knowledge_publications", ["state", "published_at"]
    )
    op.create_table(
        "knowledge_models",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("archive", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("knowledge_models")
    op.drop_index("ix_knowledge_publications_state", "knowledge_publications")
    op.drop_table("knowledge_publications")
