"""Each report as a table: Chinese column titles and rows, the same for the page and for CSV.

The page draws its charts from these rows and shows them as tables; the CSV download is the
same rows (UTF-8 with a byte order mark, so Excel opens the Chinese text). Rates are percents
with one decimal, times seconds with one decimal, ratings with two; a figure with nothing to
measure is null (an empty CSV cell, "—" on the page).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kernel.skills import SKILL_TITLES, Skill
from queue_service.reports.dialect import By
from queue_service.reports.queries import HourRow, StaffRow, TrendRow, Unanswered

# Rows kept in a ranked table (questions, unanswered): the page and the CSV show the same.
TOP = 100
# Other wordings shown beside an unanswered question (the cluster's most asked).
WORDINGS = 5
BOM = "\ufeff"
REASON_TITLES = {
    "out_of_scope": "超出服务范围",
    "not_understood": "未能理解",
    "gave_up": "多次未答",
}
BY_TITLES = {By.DAY: "日期", By.WEEK: "周（起始日）", By.MONTH: "月份"}
NAMES = ("trend", "questions", "feedback", "unanswered", "hours", "agents", "skills")


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "columns": self.columns, "rows": self.rows}

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.columns)
        writer.writerows([["" if v is None else v for v in row] for row in self.rows])
        return BOM + out.getvalue()


def percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def trend(rows: Sequence[TrendRow], by: By) -> Table:
    columns = [
        BY_TITLES[by],
        "会话数",
        "用户消息数",
        "机器人回复数",
        "独立接待",
        "转人工",
        "留言",
        "放弃",
        "无答案会话",
        "独立接待率(%)",
        "转人工率(%)",
        "无答案率(%)",
    ]
    return Table(
        "trend",
        "会话与消息趋势",
        columns,
        [
            [
                r.bucket,
                r.sessions,
                r.user_turns,
                r.bot_turns,
                r.contained,
                r.handed_off,
                r.left_message,
                r.abandoned,
                r.no_answer,
                percent(r.contained, r.sessions),
                percent(r.handed_off, r.sessions),
                percent(r.no_answer, r.sessions),
            ]
            for r in rows
        ],
    )


def questions(
    rows: Sequence[tuple[str, int]], titles: dict[str, str], after: dict[str, int]
) -> Table:
    total = sum(n for _, n in rows)
    return Table(
        "questions",
        "热门问题（知识库条目）",
        ["排名", "条目编号", "问题", "回答次数", "命中率(%)", "答后转人工", "答后转人工率(%)"],
        [
            [
                rank,
                entry,
                titles.get(entry, ""),
                n,
                percent(n, total),
                after.get(entry, 0),
                percent(after.get(entry, 0), n),
            ]
            for rank, (entry, n) in enumerate(rows[:TOP], 1)
        ],
    )


def feedback(rows: Sequence[tuple[str, int, int]], titles: dict[str, str]) -> Table:
    return Table(
        "feedback",
        "知识库条目有用率",
        ["排名", "条目编号", "问题", "评价数", "有用", "没用", "有用率(%)"],
        [
            [rank, entry, titles.get(entry, ""), yes + no, yes, no, percent(yes, yes + no)]
            for rank, (entry, yes, no) in enumerate(rows[:TOP], 1)
        ],
    )


def unanswered(rows: Sequence[Unanswered]) -> Table:
    def reasons(found: dict[str, int]) -> str:
        ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))
        return "；".join(f"{REASON_TITLES.get(k, k or '未知')} {n}" for k, n in ranked)

    return Table(
        "unanswered",
        "未能回答的问题",
        ["排名", "用户问题（已脱敏）", "次数", "原因", "同类问法"],
        [
            [rank, r.text, r.count, reasons(r.reasons), "；".join(r.wordings[:WORDINGS])]
            for rank, r in enumerate(rows[:TOP], 1)
        ],
    )


def hours(rows: Sequence[HourRow]) -> Table:
    return Table(
        "hours",
        "分时段排队与放弃",
        ["时段", "排队会话", "排队后放弃", "放弃率(%)", "接入人工", "平均等待(秒)", "最长等待(秒)"],
        [
            [
                f"{r.hour:02d}:00-{r.hour + 1:02d}:00",
                r.queued,
                r.abandoned,
                percent(r.abandoned, r.queued),
                r.chats,
                _round(r.wait_avg_s),
                _round(r.wait_max_s),
            ]
            for r in rows
        ],
    )


def _staff_figures(r: StaffRow) -> list[Any]:
    return [r.chats, r.handled, _round(r.handle_avg_s), r.ratings, _round(r.csat_avg, 2)]


FIGURES = ["人工会话", "已处理", "平均处理时长(秒)", "评价数", "平均满意度"]


def agents(rows: Sequence[StaffRow], names: dict[str, str]) -> Table:
    return Table(
        "agents",
        "客服处理时长与满意度",
        ["客服", "用户名", *FIGURES],
        [[names.get(r.key, r.key), r.key, *_staff_figures(r)] for r in rows],
    )


def skills(rows: Sequence[StaffRow]) -> Table:
    def title(key: str) -> str:
        try:
            return SKILL_TITLES[Skill(key)]
        except ValueError:
            return key

    return Table(
        "skills",
        "技能组处理时长与满意度",
        ["技能组", "技能组编号", *FIGURES],
        [[title(r.key), r.key, *_staff_figures(r)] for r in rows],
    )
