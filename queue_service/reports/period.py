"""The period a report covers: China-local days, both ends included, grouped by day, week or
month. `today`, `7d` and `30d` end today (China time); `custom` names its first and last day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from kernel.clock import CHINA_TZ
from queue_service.reports.dialect import By

MAX_DAYS = 366
PRESETS = {"today": 1, "7d": 7, "30d": 30}

BAD_PERIOD = "统计周期无效，请选择今天、近 7 天、近 30 天或自定义日期。"
BAD_DATES = "请填写正确的开始和结束日期（格式：年-月-日）。"
REVERSED = "开始日期不能晚于结束日期。"
TOO_LONG = f"自定义日期范围最长 {MAX_DAYS} 天，请缩短范围。"
BAD_GROUPING = "分组方式无效，请选择按日、按周或按月。"


class PeriodError(ValueError):
    """A period the console cannot ask for; the message is the Chinese sentence to show."""


@dataclass(frozen=True)
class ReportPeriod:
    first: date
    last: date
    by: By = By.DAY

    @classmethod
    def parse(
        cls, kind: str, start: str | None, end: str | None, by: str, today: date
    ) -> ReportPeriod:
        try:
            grouping = By(by)
        except ValueError as exc:
            raise PeriodError(BAD_GROUPING) from exc
        if kind in PRESETS:
            return cls(today - timedelta(days=PRESETS[kind] - 1), today, grouping)
        if kind != "custom":
            raise PeriodError(BAD_PERIOD)
        try:
            first, last = date.fromisoformat(start or ""), date.fromisoformat(end or "")
        except ValueError as exc:
            raise PeriodError(BAD_DATES) from exc
        if first > last:
            raise PeriodError(REVERSED)
        if (last - first).days + 1 > MAX_DAYS:
            raise PeriodError(TOO_LONG)
        return cls(first, last, grouping)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """From midnight of the first day to midnight after the last, China time, in UTC."""
        start = datetime.combine(self.first, time(), CHINA_TZ).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(), CHINA_TZ).astimezone(UTC)
        return start, end

    def buckets(self) -> list[str]:
        """Every bucket's label in the period, in order (as dialect.py spells them)."""
        labels: list[str] = []
        day = self.first
        while day <= self.last:
            label = bucket_of(day, self.by)
            if not labels or labels[-1] != label:
                labels.append(label)
            day += timedelta(days=1)
        return labels


def bucket_of(day: date, by: By) -> str:
    if by is By.MONTH:
        return day.strftime("%Y-%m")
    if by is By.WEEK:
        return (day - timedelta(days=day.weekday())).isoformat()
    return day.isoformat()
