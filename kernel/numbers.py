"""Numbers users type (record numbers, plates, phone numbers), recognised before FAQ matching.

Shared by the NLU featurizer (nlu_components/folding.py masks them, so a declaration or phone
number never drives which FAQ entry is chosen: its digits once made "13800138000" the
"单件商品超过5000元" entry) and by the FAQ's understanding (actions/faq/understanding.py),
which turns a message that is little more than a number into a record lookup. Plain
standard-library Python: the Rasa environment imports it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PHONE = "phone"
PLATE = "plate"
TAX_BILL = "tax_bill"
CLEARANCE = "clearance"
DECLARATION = "declaration"
APPOINTMENT = "appointment"
APPLICATION = "application"
RECORD = "record"  # a record number whose kind the words do not say

# A mobile number may be typed in groups (138 0013 8000, 138-0013-8000).
_PHONE = re.compile(
    r"(?<![0-9a-z])(?:1[3-9]\d([ -]?)\d{4}\1\d{4}|400-?\d{3}-?\d{4}|0\d{2,3}-\d{7,8})"
    r"(?![0-9a-z])"
)
_PLATE = re.compile(
    r"[京津冀沪渝晋蒙辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川贵云藏陕甘青宁新][a-z][·•・.\-]?[a-z0-9]{5,6}(?![0-9a-z])"
)
# Declaration (18 digits), tax bill, inventory, appointment and application numbers: a run of
# letters and digits, at least 10 long, with at least 6 digits in a row (so words like "ukey",
# years, 12360 and "5000元" are left alone).
_RECORD = re.compile(r"(?<![0-9a-z])(?=[0-9a-z]*\d{6})[0-9a-z]{10,30}(?![0-9a-z])")
# A record number typed in groups, as it is read out or copied from a printed form ("0201 2026
# 0100 0456 78"): groups of digits joined by single spaces or hyphens, 12 digits or more in all
# (dates and amounts have fewer). Its value is the digits alone.
_GROUPED = re.compile(r"(?<![0-9a-z])(?=(?:\d[ -]?){11,}\d)\d{2,8}(?:[ -]\d{1,8})+(?![0-9a-z])")
_SEPARATORS = re.compile(r"[ -]")
# Words just before a number that say what kind of record it is; the nearest wins.
_CUES = (
    (TAX_BILL, re.compile(r"税单|税费单|缴款书")),
    (CLEARANCE, re.compile(r"清单|通关|包裹|运单")),
    (APPOINTMENT, re.compile(r"预约")),
    (APPLICATION, re.compile(r"申请")),
    (DECLARATION, re.compile(r"报关单")),
)
_CUE_WINDOW = 12


@dataclass(frozen=True)
class Number:
    kind: str
    value: str  # as typed, upper-cased (plates and record numbers are written in capitals)


def _lowered(text: str) -> str:
    return text.lower()


def _kind_before(text: str, start: int) -> str:
    before = text[max(0, start - _CUE_WINDOW) : start]
    best, where = RECORD, -1
    for kind, cue in _CUES:
        for match in cue.finditer(before):
            if match.start() > where:
                best, where = kind, match.start()
    return best


def find(text: str) -> list[Number]:
    """The phone numbers, plates and record numbers in `text`, in order of appearance."""
    lowered = _lowered(text)
    found: list[tuple[int, Number]] = []
    taken: list[range] = []
    for pattern, kind in ((_PHONE, PHONE), (_PLATE, PLATE), (_GROUPED, None), (_RECORD, None)):
        for match in pattern.finditer(lowered):
            span = range(match.start(), match.end())
            if any(span.start < t.stop and t.start < span.stop for t in taken):
                continue
            taken.append(span)
            named = kind or _kind_before(lowered, match.start())
            value = match.group().upper()
            if pattern is _GROUPED or (kind == PHONE and value.startswith("1")):
                value = _SEPARATORS.sub("", value)
            found.append((match.start(), Number(named, value)))
    return [number for _, number in sorted(found, key=lambda pair: pair[0])]


def mask(text: str) -> str:
    """`text` without its phone numbers, plates and record numbers (lower-cased)."""
    lowered = _lowered(text)
    for pattern in (_PHONE, _PLATE, _GROUPED, _RECORD):
        lowered = pattern.sub(" ", lowered)
    return lowered


# Everything else numeric a user types that names no record: e-mail addresses, dates, years,
# times, amounts, codes. Not masked for the selector (the model's features stay as trained);
# understand() uses them to tell a message that is little more than such a thing from a
# question (issue 17, third round: "邮编 100176", "2027年1月1日", "wang@qq.com", "工号 8023").
EMAIL = "email"
_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_DATE = re.compile(
    r"\d{4}\s*[-/.年]\s*\d{1,2}\s*(?:[-/.月]\s*\d{1,2}\s*[日号]?|月)?"
    r"|\d{1,2}\s*月\s*\d{1,2}\s*[日号]?|\d{4}\s*年"
)
_TIME = re.compile(r"\d{1,2}\s*[:点]\s*(?:\d{1,2}分?|半)?")
_ANY_NUMBER = re.compile(r"(?<![a-z0-9])\d[0-9a-z.,，万千]*")


def emails(text: str) -> list[Number]:
    """The e-mail addresses in `text`, in order."""
    return [Number(EMAIL, m.group()) for m in _EMAIL.finditer(_lowered(text))]


def without_numbers(text: str, keep: frozenset[str] = frozenset()) -> str:
    """`text` with every number-like thing removed: records, phones, plates, e-mails, dates,
    years, times, amounts and codes (lower-cased), except the words in `keep` (numbers that
    name something, such as 12360 or ie10). What is left is what the message says."""
    lowered = _EMAIL.sub(" ", _lowered(text))
    lowered = mask(lowered)
    for pattern in (_DATE, _TIME):
        lowered = pattern.sub(" ", lowered)
    return _ANY_NUMBER.sub(lambda m: m.group() if m.group() in keep else " ", lowered)


# Amounts of money as users write them: "2万6" (26,000), "2.6万", "3千", "1.5w", "5000元",
# "两万六" (issue 17, fifth round: an amount in words is an amount, not a year or a code).
_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
           "九": 9}
_UNITS = {"万": 10_000, "w": 10_000, "千": 1_000, "k": 1_000}
_AMOUNT_UNIT = re.compile(
    r"(?<![0-9.])(\d+(?:\.\d+)?)\s*(万|w|千|k)(\d)?(?![0-9a-z])"
    r"|([一二两三四五六七八九])(万|千)([一二两三四五六七八九])?(?![一二两三四五六七八九十百千万])"
)
_AMOUNT_YUAN = re.compile(r"(?<![0-9.])(\d+(?:\.\d+)?)\s*(?:元|块|rmb)")


def amounts(text: str) -> list[int]:
    """The amounts of money in `text`, in yuan, in order of the patterns (units first)."""
    lowered = _lowered(text)
    found = []
    for m in _AMOUNT_UNIT.finditer(lowered):
        if m.group(1):
            number, unit, tail = float(m.group(1)), _UNITS[m.group(2)], m.group(3)
        else:
            number, unit = _DIGITS[m.group(4)], _UNITS[m.group(5)]
            tail = str(_DIGITS[m.group(6)]) if m.group(6) else None
        # "2万6" is 2.6万, "3千5" 3.5千: the digit after the unit is its next place.
        found.append(round(number * unit + (int(tail) * unit // 10 if tail else 0)))
    found += [round(float(m.group(1))) for m in _AMOUNT_YUAN.finditer(lowered)]
    return found
