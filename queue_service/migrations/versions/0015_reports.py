"""reports: the questions each session could not answer, daily sums per key, and indexes

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # {"<decline reason>:<the user's question, masked>": times}: the report of unanswered
    # questions sums these in SQL instead of reading the transcript. Null in sessions closed
    # before this revision (they are left out of that report).
    op.add_column("bot_sessions", sa.Column("unanswered", sa.JSON, nullable=True))
    # Sessions of a skill over a period (bot_sessions already has started_at alone, with
    # channel and with outcome: migration 0013).
    op.create_index("ix_bot_sessions_skill", "bot_sessions", ["skill", "started_at"])
    # Chats over a period (waits by hour, handle time and ratings per agent and per skill); the
    # agent's own index (agent, assigned_at) serves one agent, not a period.
    op.create_index("ix_chats_assigned_at", "chats", ["assigned_at"])
    op.create_index("ix_chats_skill", "chats", ["skill", "assigned_at"])
    # On PostgreSQL the trend and hour charts read their columns from the index alone.
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_bot_sessions_report",
            "bot_sessions",
            ["started_at"],
            postgresql_include=[
                "outcome",
                "channel",
                "skill",
                "declines",
                "user_turns",
                "bot_turns",
                "queued",
            ],
        )
    # What the ranked reports sum (queue_service/session_keys.py): per China-local day, channel,
    # skill, kind and key; the unique index (kind and day first) is also what they read by.
    op.create_table(
        "bot_daily_keys",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("skill", sa.String(32), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.UniqueConstraint("kind", "day", "channel", "skill", "key", name="uq_bot_daily_keys"),
    )
    _backfill()


def _backfill() -> None:
    """The sessions written before this revision, summed into the new table (their
    `unanswered` is null: they add answers, feedback and handoffs only)."""
    from queue_service.session_keys import bot_daily_keys, daily_rows

    jsons = ("entries", "feedback", "handoff_after", "unanswered")
    sessions = sa.table(
        "bot_sessions",
        sa.column("started_at", sa.DateTime(timezone=True)),
        sa.column("channel", sa.String),
        sa.column("skill", sa.String),
        *(sa.column(name, sa.JSON) for name in jsons),
    )
    rows = []
    for found in op.get_bind().execute(sa.select(sessions)).mappings():
        row = dict(found)
        at = row["started_at"]
        row["started_at"] = at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite: UTC text
        rows.append(row)
    values = daily_rows(rows)  # summed: one row per key, into an empty table
    if values:
        op.bulk_insert(bot_daily_keys, values)


def downgrade() -> None:
    op.drop_table("bot_daily_keys")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_bot_sessions_report", "bot_sessions")
    op.drop_index("ix_chats_skill", "chats")
    op.drop_index("ix_chats_assigned_at", "chats")
    op.drop_index("ix_bot_sessions_skill", "bot_sessions")
    op.drop_column("bot_sessions", "unanswered")
