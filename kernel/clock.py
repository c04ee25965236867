"""China-local time: users and agents are in China whatever the server's timezone is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo

Clock = Callable[[], datetime]


def _china_timezone() -> tzinfo:
    """Prefer the IANA zone, but slim images may ship without tzdata.

    China has not used daylight saving time since 1991, so a fixed UTC+8 offset
    gives the same wall-clock time when the zone database is missing.
    """
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Shanghai")
    except Exception:  # ZoneInfoNotFoundError, or no zoneinfo module at all
        return timezone(timedelta(hours=8), "Asia/Shanghai")


CHINA_TZ: tzinfo = _china_timezone()


def china_now() -> datetime:
    """The default clock; tests inject a fixed one instead."""
    return datetime.now(CHINA_TZ)
