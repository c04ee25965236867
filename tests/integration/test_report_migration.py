"""Migration 0015 sums the sessions written before it into the reports' daily table, so the
ranked reports cover them too (their unanswered questions were never recorded)."""

import json
import sqlite3
from contextlib import closing

from alembic import command

from kernel.sql import alembic_config
from queue_service.db import MIGRATIONS_DIR


def test_sessions_written_before_0015_are_in_the_daily_sums(tmp_path) -> None:
    path = tmp_path / "swa.db"
    config = alembic_config(f"sqlite+aiosqlite:///{path}", MIGRATIONS_DIR)
    command.upgrade(config, "0014")
    columns = (
        "conversation_id, channel, started_at, ended_at, outcome, first_line_id, last_line_id, "
        "user_turns, bot_turns, answers, declines, suggestions, queries, entries, suggested, "
        "handoff_requested, queued, skill, closed_at, useful, not_useful, feedback, handoff_after"
    )
    # 2026-12-04 17:30 UTC is 2026-12-05 01:30 in China: the China day counts.
    sessions = [
        (
            "webchat:a",
            "2026-12-04 17:30:00.000000",
            {"card_password": 2},
            {"card_password": [1, 0]},
            {},
            "account",
        ),
        (
            "webchat:b",
            "2026-12-05 02:00:00.000000",
            {"card_password": 1},
            {},
            {"card_password": 1},
            "account",
        ),
        ("wechat:c", "2026-12-04 10:00:00.000000", {"declare_entrust": 1}, {}, {}, None),
    ]
    with closing(sqlite3.connect(path)) as db:
        for conversation, at, entries, feedback, after, skill in sessions:
            channel = conversation.split(":")[0]
            db.execute(
                f"INSERT INTO bot_sessions ({columns}) VALUES (?, ?, ?, ?, 'contained', "
                "1, 2, 1, 1, 1, 0, 0, 0, ?, '{}', 0, 0, ?, ?, ?, ?, ?, ?)",
                (
                    conversation,
                    channel,
                    at,
                    at,
                    json.dumps(entries),
                    skill,
                    at,
                    sum(v[0] for v in feedback.values()),
                    sum(v[1] for v in feedback.values()),
                    json.dumps(feedback),
                    json.dumps(after),
                ),
            )
        db.commit()
    command.upgrade(config, "head")
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute(
            "SELECT day, kind, channel, skill, key, n FROM bot_daily_keys ORDER BY kind, day, key"
        ).fetchall()
    assert rows == [
        ("2026-12-05", "after", "webchat", "account", "card_password", 1),
        ("2026-12-04", "answer", "wechat", "", "declare_entrust", 1),
        ("2026-12-05", "answer", "webchat", "account", "card_password", 3),
        ("2026-12-05", "useful", "webchat", "account", "card_password", 1),
    ]
    command.downgrade(config, "0014")  # and back, on SQLite too
