"""The reports' periods: China-local days, presets ending today, day/week/month buckets."""

from datetime import UTC, date, datetime

import pytest

from queue_service.reports.dialect import By
from queue_service.reports.period import (
    BAD_PERIOD,
    TOO_LONG,
    PeriodError,
    ReportPeriod,
    bucket_of,
)

TODAY = date(2026, 12, 5)  # a Saturday


def test_presets_end_today_and_include_it() -> None:
    assert ReportPeriod.parse("today", None, None, "day", TODAY) == ReportPeriod(TODAY, TODAY)
    seven = ReportPeriod.parse("7d", None, None, "day", TODAY)
    assert (seven.first, seven.last) == (date(2026, 11, 29), TODAY)
    assert len(ReportPeriod.parse("30d", None, None, "day", TODAY).buckets()) == 30


def test_a_period_is_china_days_in_utc() -> None:
    start, end = ReportPeriod(TODAY, TODAY).utc_bounds()
    assert start == datetime(2026, 12, 4, 16, tzinfo=UTC)
    assert end == datetime(2026, 12, 5, 16, tzinfo=UTC)


def test_weeks_start_on_monday_and_months_on_the_first() -> None:
    period = ReportPeriod(date(2026, 11, 28), date(2026, 12, 8), By.WEEK)
    assert period.buckets() == ["2026-11-23", "2026-11-30", "2026-12-07"]
    assert ReportPeriod(date(2026, 11, 28), date(2026, 12, 8), By.MONTH).buckets() == [
        "2026-11",
        "2026-12",
    ]
    assert bucket_of(date(2026, 12, 6), By.WEEK) == "2026-11-30"  # a Sunday: its week's Monday


@pytest.mark.parametrize(
    ("kind", "start", "end", "message"),
    [("year", None, None, BAD_PERIOD), ("custom", "2025-01-01", "2026-12-05", TOO_LONG)],
)
def test_bad_periods_say_why(kind, start, end, message) -> None:
    with pytest.raises(PeriodError, match=message):
        ReportPeriod.parse(kind, start, end, "day", TODAY)
