"""What SQLite and PostgreSQL spell differently in the reports' queries, written once.

Times are stored in UTC (timezone-aware on PostgreSQL, UTC text on SQLite); the reports group
them by the China-local day, week (from Monday) or month, and by the China-local hour.
PostgreSQL converts with `AT TIME ZONE 'Asia/Shanghai'`; SQLite has no zones and adds 8
hours, which is the same thing: China has kept UTC+8 without daylight saving since 1991.
Bucket labels are text in one form on both: `YYYY-MM-DD` (a day, or a week's Monday) or
`YYYY-MM` (a month), so period.py can list the buckets a period has and fill the empty ones.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Integer, cast, func
from sqlalchemy.sql.elements import ColumnElement

ZONE = "Asia/Shanghai"
SQLITE_SHIFT = "+8 hours"


class By(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Dialect:
    """The expressions for one database (`for_name` picks it by SQLAlchemy's dialect name)."""

    def bucket(self, at: Any, by: By) -> ColumnElement[str]:
        raise NotImplementedError

    def hour(self, at: Any) -> ColumnElement[int]:
        raise NotImplementedError

    def seconds(self, start: Any, end: Any) -> ColumnElement[float]:
        raise NotImplementedError


class Postgres(Dialect):
    def _local(self, at: Any) -> Any:
        return func.timezone(ZONE, at)  # timestamptz AT TIME ZONE: the local wall-clock time

    def bucket(self, at: Any, by: By) -> ColumnElement[str]:
        pattern = "YYYY-MM" if by is By.MONTH else "YYYY-MM-DD"
        return func.to_char(func.date_trunc(by.value, self._local(at)), pattern)

    def hour(self, at: Any) -> ColumnElement[int]:
        return cast(func.extract("hour", self._local(at)), Integer)

    def seconds(self, start: Any, end: Any) -> ColumnElement[float]:
        return func.extract("epoch", end - start)


class Sqlite(Dialect):
    def bucket(self, at: Any, by: By) -> ColumnElement[str]:
        if by is By.MONTH:
            return func.strftime("%Y-%m", at, SQLITE_SHIFT)
        if by is By.WEEK:
            # 'weekday 0' moves to the next Sunday (or stays on one); 6 days back is its Monday.
            return func.date(at, SQLITE_SHIFT, "weekday 0", "-6 days")
        return func.date(at, SQLITE_SHIFT)

    def hour(self, at: Any) -> ColumnElement[int]:
        return cast(func.strftime("%H", at, SQLITE_SHIFT), Integer)

    def seconds(self, start: Any, end: Any) -> ColumnElement[float]:
        return (func.julianday(end) - func.julianday(start)) * 86400.0


def for_name(name: str) -> Dialect:
    """The expressions for a SQLAlchemy dialect name (`engine.dialect.name`)."""
    if name == "postgresql":
        return Postgres()
    if name == "sqlite":
        return Sqlite()
    raise ValueError(f"reports support SQLite and PostgreSQL, not {name}")
