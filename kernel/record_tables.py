"""A list of records as a table, in a bot message's custom payload, for the web chat to draw.

The action server writes it beside the list's numbered text and buttons (actions/queries/
render.py); WeChat and Telegram show only those, the web chat draws this instead of them
(integrations/webchat/static/webchat.js): one row per record with its own button, the pager
line, 更多 below. Rasa's REST channel sends a message's custom payload as a reply of its own,
so the service joins it back to the message it came with (queue_service/rasa_client.py), and
the transcript keeps it with that line, for the page to draw again after a reload.

The shape, under the key `records` of `custom`:

    {"title": "您的跨境电商通关记录",          # the list's heading, without the pager
     "intro": "",                               # a line before the table ("“制作中”的意思：…")
     "columns": ["清单编号", "电商平台", ...],
     "rows": [{"cells": ["2100…", "天猫国际", ...],   # one per column, as text
               "action": {"title": "详情", "payload": "/query_records{…}"} | null}],
     "pager": "第 1-5 条，共 19 条",
     "notes": ["· 制作中：…"],                  # lines after the table (what statuses mean)
     "more": {"title": "更多", "payload": "/query_records{…}"} | null}

A row's action and `more` are buttons the message also carries (same title or not, same
payload): a channel that draws the table leaves those buttons out, and shows the others
(filters, 按日期查询, 转人工) as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

KEY = "records"


class Action(TypedDict):
    title: str
    payload: str


class Row(TypedDict):
    cells: list[str]
    action: Action | None


class RecordTable(TypedDict):
    title: str
    intro: str
    columns: list[str]
    rows: list[Row]
    pager: str
    notes: list[str]
    more: Action | None


def row(cells: Sequence[str], action: Action | None = None) -> Row:
    return {"cells": list(cells), "action": action}


def table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Row],
    pager: str,
    notes: Sequence[str] = (),
    more: Action | None = None,
) -> RecordTable:
    """Raises ValueError when a row has not one cell per column (a table drawn askew)."""
    for r in rows:
        if len(r["cells"]) != len(columns):
            raise ValueError(f"a row has {len(r['cells'])} cells for {len(columns)} columns")
    return {
        "title": title,
        "intro": "",
        "columns": list(columns),
        "rows": list(rows),
        "pager": pager,
        "notes": list(notes),
        "more": more,
    }
