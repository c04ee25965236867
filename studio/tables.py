"""The knowledge studio's tables (created by migration 0016 of the service's history).

Core tables rather than ORM classes: the store reads and writes whole items as JSON documents,
and a later reader (the action server, reading the published version) needs no mapper.
"""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

metadata = MetaData()

revisions = Table(
    "kb_revisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("author", String(32), nullable=False),
    Column("action", String(16), nullable=False),
    Column("note", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def _item_columns() -> list[Column]:
    return [
        Column("kind", String(16), nullable=False),
        Column("key", String(64), nullable=False),
        Column("version", Integer, nullable=False),
        Column("revision_id", Integer, nullable=False),
        Column("category", String(40)),
        Column("position", Integer, nullable=False),
        Column("retired", Boolean, nullable=False),
        Column("data", JSON, nullable=False),
        Column("fragment", Text),
    ]


versions = Table(
    "kb_item_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_item_columns(),
)

items = Table("kb_items", metadata, *_item_columns(), PrimaryKeyConstraint("kind", "key"))

head = Table(
    "kb_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("revision_id", Integer, nullable=False),
)

# What a maintainer did with a question of the inbox (migration 0018): it leaves the inbox.
inbox_marks = Table(
    "kb_inbox_marks",
    metadata,
    Column("question", String(300), primary_key=True),
    Column("action", String(16), nullable=False),
    Column("entry", String(64)),
    Column("author", String(32), nullable=False),
    Column("marked_at", DateTime(timezone=True), nullable=False),
)
