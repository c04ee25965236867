"""When human agents work: a weekly timetable in China time, with holidays and make-up workdays.

Outside these hours a user who asks for a person is offered to leave a message instead of
waiting in a queue nobody serves. China moves working days around public holidays (调休): a
Saturday can be a workday and a Wednesday a holiday, so dates override the weekly timetable.
The timetable is text, so it fits one environment variable each:

    SWA_SERVICE_HOURS="mon-fri 08:30-17:30; sat 09:00-12:00"
    SWA_HOLIDAYS="2026-10-01..2026-10-07, 2027-01-01"
    SWA_EXTRA_WORKDAYS="2026-09-27, 2026-10-10"    # worked with Monday's hours
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from kernel.clock import CHINA_TZ
from queue_service.settings import Settings

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RULE = re.compile(
    r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+"
    r"(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})$"
)
END_OF_DAY = time.max


def when_text(moment: datetime) -> str:
    """A moment as users and agents read it: 9月28日 08:30."""
    return f"{moment.month}月{moment.day}日 {moment:%H:%M}"


class TimetableError(ValueError):
    """A timetable setting that cannot be read; the message says which part and why."""


def _clock_time(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    if (hours, minutes) == (24, 0):
        return END_OF_DAY
    if hours > 23 or minutes > 59:
        raise TimetableError(f"no such time of day: {text}")
    return time(hours, minutes)


def _weekly(text: str) -> dict[int, list[tuple[time, time]]]:
    weekly: dict[int, list[tuple[time, time]]] = {day: [] for day in range(7)}
    for rule in filter(None, (part.strip().lower() for part in text.split(";"))):
        match = _RULE.match(rule)
        if not match or match["first"] not in DAYS or (match["last"] or "mon") not in DAYS:
            raise TimetableError(f"expected e.g. 'mon-fri 08:30-17:30', got {rule!r}")
        start, end = _clock_time(match["start"]), _clock_time(match["end"])
        if start >= end:
            raise TimetableError(f"opening must be before closing: {rule!r}")
        first = DAYS.index(match["first"])
        last = DAYS.index(match["last"]) if match["last"] else first
        if last < first:
            raise TimetableError(f"days must run forwards within a week: {rule!r}")
        for day in range(first, last + 1):
            weekly[day].append((start, end))
    return weekly


def _dates(text: str) -> frozenset[date]:
    days: set[date] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            first, _, last = part.partition("..")
            start = date.fromisoformat(first.strip())
            end = date.fromisoformat(last.strip()) if last else start
        except ValueError as exc:
            raise TimetableError(f"expected a date or 'YYYY-MM-DD..YYYY-MM-DD': {part!r}") from exc
        if end < start:
            raise TimetableError(f"a date range must run forwards: {part!r}")
        days.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    return frozenset(days)


@dataclass(frozen=True)
class Timetable:
    weekly: dict[int, list[tuple[time, time]]]
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, hours: str, holidays: str = "", extra_workdays: str = "") -> Timetable:
        return cls(_weekly(hours), _dates(holidays), _dates(extra_workdays))

    @classmethod
    def from_settings(cls, settings: Settings) -> Timetable:
        return cls.parse(settings.service_hours, settings.holidays, settings.extra_workdays)

    def _periods(self, day: date) -> list[tuple[time, time]]:
        if day in self.extra_workdays:
            return self.weekly[0]
        if day in self.holidays:
            return []
        return self.weekly[day.weekday()]

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(CHINA_TZ)
        return any(start <= local.time() < end for start, end in self._periods(local.date()))

    def next_opening(self, at: datetime, horizon_days: int = 60) -> datetime | None:
        """When agents are next at work after `at` (China time), within the horizon."""
        local = at.astimezone(CHINA_TZ)
        for offset in range(horizon_days + 1):
            day = local.date() + timedelta(days=offset)
            for start, _ in sorted(self._periods(day)):
                opening = datetime.combine(day, start, CHINA_TZ)
                if opening > local:
                    return opening
        return None
