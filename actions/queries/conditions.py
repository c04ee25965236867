"""Query conditions typed in words: a year, or a date range and its quick picks.

The manuals limit a query's date range to 3 months and offer 当天 / 本周 / 本月 / 三个月 as
quick picks; years cannot be in the future. Errors are the sentences the user reads.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from actions.records.repository import Period

MAX_RANGE_DAYS = 92  # three months

YEAR_IN_FUTURE = "查询年份不能晚于今年（{year} 年），请重新输入。"
RANGE_TOO_LONG = "查询时间范围不能超过 3 个月，请缩小范围后再查。"
RANGE_REVERSED = "开始日期不能晚于结束日期，请重新输入。"
BAD_DATE = "日期不正确，请按“2026-11-01”的格式输入。"
BAD_PERIOD = "抱歉，没有理解您选择的时间范围，请重新选择。"
BAD_PLATE = "车牌号格式不正确，请输入如“京A12345”或新能源车牌“京AD12345”的车牌号。"

QUICK_PICKS = {"today": "当天", "week": "本周", "month": "本月", "quarter": "三个月"}

_YEAR = re.compile(r"(20\d{2})\s*年")
_DATE = re.compile(r"(20\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_WORDS = (
    ("quarter", ("三个月", "3个月", "近三月", "最近三月")),
    ("month", ("本月", "这个月", "这月")),
    ("week", ("本周", "这周", "这个星期", "本星期", "这礼拜")),
    ("today", ("当天", "今天", "今日")),
)


_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Province, issuing-office letter (no I or O), then 5 characters (6 for new-energy plates).
_PLATE = re.compile(rf"^[{_PROVINCES}][A-HJ-NP-Z](?:[A-HJ-NP-Z0-9]{{5}}|[DF][A-HJ-NP-Z0-9]{{5}})$")
_PLATE_LIKE = re.compile(rf"[{_PROVINCES}][A-Za-z0-9]{{3,9}}")


class ConditionError(ValueError):
    """A condition the user must correct; the message says how."""


# "2030年的额度", "额度 2024": a year named beside the quota (issue 17).
_QUOTA_YEAR = re.compile(r"(?:19|20)\d{2}\s*年?.{0,6}额度|额度.{0,6}(?:19|20)\d{2}")


def names_quota_year(text: str) -> bool:
    """Whether the words ask for one year's quota, whichever quota entry NLU matched."""
    return bool(_QUOTA_YEAR.search(text))


def year_in(text: str, today: date) -> int:
    """The year the user names (2025年, 去年, 今年), this year if none; never in the future."""
    if "去年" in text:
        return today.year - 1
    if "前年" in text:
        return today.year - 2
    match = _YEAR.search(text)
    year = int(match.group(1)) if match else today.year
    if year > today.year:
        raise ConditionError(YEAR_IN_FUTURE.format(year=today.year))
    return year


def quick_pick(pick: str, today: date) -> Period:
    if pick == "today":
        return Period(today, today)
    if pick == "week":
        return Period(today - timedelta(days=today.weekday()), today)
    if pick == "month":
        return Period(today.replace(day=1), today)
    if pick == "quarter":
        return Period(today - timedelta(days=MAX_RANGE_DAYS - 1), today)
    raise ConditionError(BAD_PERIOD)


def checked(period: Period) -> Period:
    if period.first > period.last:
        raise ConditionError(RANGE_REVERSED)
    if (period.last - period.first).days >= MAX_RANGE_DAYS:
        raise ConditionError(RANGE_TOO_LONG)
    return period


def period_in(text: str, today: date) -> Period | None:
    """Two dates (from - to), one date (that day), or a quick-pick word; None if none."""
    dates = []
    for match in _DATE.finditer(text):
        try:
            dates.append(date(*map(int, match.groups())))
        except ValueError as exc:
            raise ConditionError(BAD_DATE) from exc
    if len(dates) >= 2:
        return checked(Period(dates[0], dates[1]))
    if dates:
        return Period(dates[0], dates[0])
    for pick, words in _WORDS:
        if any(w in text for w in words):
            return quick_pick(pick, today)
    return None


def plate_in(text: str) -> str | None:
    """A Chinese plate number in the text (upper-cased), None if there is none.

    Raises ConditionError for something that looks like a plate but is not one (京A1234).
    """
    match = _PLATE_LIKE.search(text)
    if match is None:
        return None
    plate = match.group(0).upper()
    if not _PLATE.match(plate):
        raise ConditionError(BAD_PLATE)
    return plate


def period_of(value: str, today: date) -> Period:
    """A button's period: a quick pick ("month") or a range ("2026-11-01..2026-11-20")."""
    if ".." not in value:
        return quick_pick(value, today)
    first, _, last = value.partition("..")
    try:
        return checked(Period(date.fromisoformat(first), date.fromisoformat(last)))
    except ValueError as exc:
        if isinstance(exc, ConditionError):
            raise
        raise ConditionError(BAD_DATE) from exc


def encoded(period: Period) -> str:
    return f"{period.first.isoformat()}..{period.last.isoformat()}"
