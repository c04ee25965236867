"""Agents' working hours: weekly timetable in China time, holidays, make-up workdays."""

from datetime import UTC, datetime

import pytest

from kernel.clock import CHINA_TZ
from queue_service.handoff.hours import Timetable, TimetableError
from queue_service.settings import Settings

# 2026-10-01 is a Thursday (National Day); 2026-10-10 a Saturday.
TIMETABLE = Timetable.parse(
    "mon-fri 08:30-12:00; mon-fri 13:30-17:30; sat 09:00-12:00",
    holidays="2026-10-01..2026-10-07, 2027-01-01",
    extra_workdays="2026-10-10",
)


def china(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=CHINA_TZ)


@pytest.mark.parametrize(
    ("day", "clock", "open_"),
    [
        ("2026-09-28", "08:29", False),  # Monday, before opening
        ("2026-09-28", "08:30", True),
        ("2026-09-28", "12:30", False),  # lunch break
        ("2026-09-28", "17:29", True),
        ("2026-09-28", "17:30", False),  # closing time is closed
        ("2026-09-26", "10:00", True),  # Saturday morning
        ("2026-09-27", "10:00", False),  # Sunday
        ("2026-10-05", "10:00", False),  # inside the holiday range
        ("2026-10-10", "15:00", True),  # make-up Saturday works Monday's hours
        ("2027-01-01", "10:00", False),  # a Friday holiday
    ],
)
def test_open_hours(day: str, clock: str, open_: bool) -> None:
    assert TIMETABLE.is_open(china(day, clock)) is open_


def test_other_timezones_are_read_as_china_time() -> None:
    # 02:00 UTC is 10:00 in Beijing.
    assert TIMETABLE.is_open(datetime(2026, 9, 28, 2, 0, tzinfo=UTC))
    assert not TIMETABLE.is_open(datetime(2026, 9, 28, 12, 0, tzinfo=UTC))


def test_next_opening_skips_breaks_weekends_and_holidays() -> None:
    assert TIMETABLE.next_opening(china("2026-09-28", "12:10")) == china("2026-09-28", "13:30")
    assert TIMETABLE.next_opening(china("2026-09-26", "12:00")) == china("2026-09-28", "08:30")
    assert TIMETABLE.next_opening(china("2026-09-30", "18:00")) == china("2026-10-08", "08:30")
    assert Timetable.parse("").next_opening(china("2026-09-30", "18:00")) is None


def test_round_the_clock() -> None:
    always = Timetable.parse("mon-sun 00:00-24:00")
    assert always.is_open(china("2026-09-27", "23:59"))
    assert always.is_open(china("2026-09-27", "00:00"))


@pytest.mark.parametrize(
    ("hours", "holidays"),
    [
        ("weekdays 9-5", ""),
        ("mon-fri 17:30-08:30", ""),
        ("fri-mon 09:00-17:00", ""),
        ("mon 25:00-26:00", ""),
        ("mon 09:00-17:00", "2026-13-01"),
        ("mon 09:00-17:00", "2026-10-07..2026-10-01"),
    ],
)
def test_bad_settings_say_what_is_wrong(hours: str, holidays: str) -> None:
    with pytest.raises(TimetableError):
        Timetable.parse(hours, holidays)


def test_settings_read_the_timetable_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("SWA_SERVICE_HOURS", "sat 09:00-12:00")
    monkeypatch.setenv("SWA_HOLIDAYS", "2026-10-03")
    timetable = Timetable.from_settings(Settings())
    assert timetable.is_open(china("2026-09-26", "10:00"))
    assert not timetable.is_open(china("2026-10-03", "10:00"))
