"""Entity and slot values, checked before an action uses them.

Buttons carry their conditions as entities (`/query_records{"query":"tax_bills","page":"2"}`),
and a payload can be typed or crafted as well as clicked: Rasa hands the action whatever JSON it
held, a list spread into several values, a number, a dict, "²" (which str.isdigit() accepts and
int() refuses), "0", "-1", thousands of digits. Every value an action parses goes through one of
these functions. A value no button would send raises BadEntity, whose message is the polite
sentence the user reads, instead of an exception that fails the turn (and has the action server
log, and send back to Rasa, the whole request).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from datetime import date

from rasa_sdk import Tracker

NOT_UNDERSTOOD = "抱歉，没有理解您的查询条件，请重新选择。"
BAD_PAGE = "抱歉，没有理解您要查看的页码，请重新选择。"
BAD_YEAR = "查询年份不正确，请选择 {first} 年至 {last} 年之间的年份，例如“{last}年的额度”。"
BAD_RECORD_NUMBER = "编号格式不正确，请核对后重新输入（编号由数字和字母组成）。"

# Longer than any value a button sends (a date range, "2026-11-01..2026-11-20", is 22).
MAX_CHARS = 64
# Pages of five or eight lines: more pages than anyone's records fill.
MAX_PAGE = 1000
# Cross-border e-commerce quotas and records start well after this.
FIRST_YEAR = 2000

_WHOLE_NUMBER = re.compile(r"[0-9]{1,4}")
# Declaration, inventory, tax bill and appointment numbers: ASCII letters and digits.
_RECORD_NUMBER = re.compile(r"[0-9A-Za-z]{6,30}")


class BadEntity(ValueError):
    """A value no button sends; str(error) is the sentence to tell the user."""


def latest(tracker: Tracker, name: str) -> object:
    """The entity's first value in the latest message, of whatever type; None without one."""
    return next(tracker.get_latest_entity_values(name), None)


def text(value: object, message: str = NOT_UNDERSTOOD, max_chars: int = MAX_CHARS) -> str:
    """A string of at most `max_chars`, stripped; "" for none. Anything else is refused."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > max_chars:
        raise BadEntity(message)
    return value.strip()


def choice(value: object, allowed: Collection[str], message: str = NOT_UNDERSTOOD) -> str:
    """One of the allowed strings; "" for none."""
    chosen = text(value, message)
    if chosen and chosen not in allowed:
        raise BadEntity(message)
    return chosen


def _whole_number(value: object, message: str) -> int | None:
    """Up to four ASCII digits (or such an int); None for none."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    digits = text(value, message)
    if not digits:
        return None
    if not _WHOLE_NUMBER.fullmatch(digits):
        raise BadEntity(message)
    return int(digits)


def page(value: object) -> int:
    """A page number, 1 to MAX_PAGE; the first page for none."""
    number = _whole_number(value, BAD_PAGE)
    if number is None:
        return 1
    if not 1 <= number <= MAX_PAGE:
        raise BadEntity(BAD_PAGE)
    return number


def year(value: object, today: date) -> int | None:
    """A year from FIRST_YEAR to this year; None for none."""
    message = BAD_YEAR.format(first=FIRST_YEAR, last=today.year)
    number = _whole_number(value, message)
    if number is not None and not FIRST_YEAR <= number <= today.year:
        raise BadEntity(message)
    return number


def record_number(value: object) -> str:
    """A record's number (letters and digits); "" for none."""
    number = text(value, BAD_RECORD_NUMBER)
    if number and not _RECORD_NUMBER.fullmatch(number):
        raise BadEntity(BAD_RECORD_NUMBER)
    return number


def slot_text(tracker: Tracker, name: str) -> str:
    """A slot only the actions set, as a string; "" if it holds anything else."""
    value = tracker.get_slot(name)
    return value if isinstance(value, str) else ""


def slot_count(tracker: Tracker, name: str) -> int:
    """A counter slot only the actions set; 0 if it holds anything but a count."""
    value = tracker.get_slot(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return 0
    return max(int(value), 0)
