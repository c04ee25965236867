"""knowledge studio: the FAQ in SQL with a revision per change; maintainers' knowledge grant

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _item_columns() -> list[sa.Column]:
    """An item at one version: an entry, a category, an out-of-scope list or a file's header."""
    return [
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("revision_id", sa.Integer, nullable=False),
        sa.Column("category", sa.String(40), nullable=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("retired", sa.Boolean, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        # The item's text as last imported, written back verbatim while the data is unchanged.
        sa.Column("fragment", sa.Text, nullable=True),
    ]


def upgrade() -> None:
    # A supervisor may also maintain the knowledge base (a maintainer account always does).
    op.add_column(
        "agent_accounts",
        sa.Column("maintains_knowledge", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    # One row per change of the knowledge base: who, when, what kind of change.
    op.create_table(
        "kb_revisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("author", sa.String(32), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    # Every version of every item.
    op.create_table(
        "kb_item_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        *_item_columns(),
        sa.UniqueConstraint("kind", "key", "version", name="uq_kb_item_versions"),
    )
    op.create_index("ix_kb_item_versions_revision", "kb_item_versions", ["revision_id"])
    # The current version of each item (a copy of its newest kb_item_versions row).
    op.create_table(
        "kb_items", *_item_columns(), sa.PrimaryKeyConstraint("kind", "key", name="pk_kb_items")
    )
    # The base's newest revision. Every change first updates this one row (a row lock on
    # PostgreSQL, the write lock on SQLite): changes are checked against the whole base one at a
    # time.
    op.create_table(
        "kb_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revision_id", sa.Integer, nullable=False),
    )
    op.execute("INSERT INTO kb_head (id, revision_id) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("kb_head")
    op.drop_table("kb_items")
    op.drop_index("ix_kb_item_versions_revision", "kb_item_versions")
    op.drop_table("kb_item_versions")
    op.drop_table("kb_revisions")
    op.drop_column("agent_accounts", "maintains_knowledge")
