"""tickets as tickets: who left them, an assignee, replies sent to the user, four statuses

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        # The verified identity (claims) of the user when they left it; NULL: anonymous.
        batch.add_column(sa.Column("identity", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("assignee", sa.String(32), nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    # "done" was the only end before: it is "closed" now.
    op.execute("UPDATE tickets SET status = 'closed' WHERE status = 'done'")
    op.execute("UPDATE tickets SET updated_at = COALESCE(done_at, created_at)")
    op.create_index("ix_tickets_assignee", "tickets", ["assignee", "status", "id"])
    op.create_index("ix_tickets_skill", "tickets", ["skill", "status", "id"])
    op.create_index("ix_tickets_created_at", "tickets", ["created_at"])
    op.create_index("ix_tickets_conversation_id", "tickets", ["conversation_id", "id"])
    op.create_table(
        "ticket_replies",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(32), nullable=False),
        sa.Column("author_name", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ticket_replies_ticket", "ticket_replies", ["ticket_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_replies_ticket", table_name="ticket_replies")
    op.drop_table("ticket_replies")
    for name in (
        "ix_tickets_conversation_id",
        "ix_tickets_created_at",
        "ix_tickets_skill",
        "ix_tickets_assignee",
    ):
        op.drop_index(name, table_name="tickets")
    op.execute("UPDATE tickets SET status = 'done' WHERE status <> 'open'")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("assignee")
        batch.drop_column("identity")
