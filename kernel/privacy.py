"""Mask personal numbers (ID cards, mobile phones, bank cards) in text kept or shown to staff.

Transcripts, logs and the agent console see users' words; a resident ID, a phone number or a
bank card number in them must not be readable there. What is masked is recognised by its own
rules, not by length alone, because the Single Window is full of long numbers that must stay
readable: an 18-digit customs declaration number is masked only if it is also a valid ID
number (province, real birth date, ISO 7064 check character), and a card number only if it
passes the Luhn check and starts like a card of a scheme issued in China. Masks keep the ends,
as banks print them, so a user and an agent can still tell which number was meant.

Numbers are found the way people type them: grouped by spaces or hyphens (138 1234 5678),
after a country code (+86 / 0086), in full-width digits (what Chinese input methods type), glued
to a word (tel13812345678, 手机13812345678), several in a row (13812345678 13912345678). A
run of digits and single separators is found first; each personal number in it is then taken
on its own, whole groups only, so a group is never cut in two and a long business number keeps
its digits.

Landline numbers (010-12345678) are not masked: here they are nearly always a company's or an
office's number (a hotline, an enterprise contact left in a ticket) that an agent needs to read,
and an area code and 7-8 digits cannot be told from the fragments of other numbers.
"""

import re
from datetime import date

_DIGITS = "0-9\uff10-\uff19"  # ASCII and full-width
_SEPARATORS = " \u00a0\u3000\\-\uff0d"  # space, no-break and ideographic space, hyphens
_CHECK = "Xx\uff38\uff58"  # an ID's check character X, also full-width
_PLUS = "+\uff0b"
# Digits grouped by single separators, perhaps after a + (a country code follows) and ending
# in an ID's X. The lookbehind keeps a run from starting inside a longer one; the groups are
# greedy, so a run is always maximal and matching it never backtracks.
_RUN = re.compile(
    rf"(?<![{_DIGITS}])[{_PLUS}]?[{_DIGITS}]+(?:[{_SEPARATORS}][{_DIGITS}]+)*[{_CHECK}]?"
)
_GROUP = re.compile(rf"[{_DIGITS}]+[{_CHECK}]?")
_ASCII = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")
# The longest personal number: a 19-digit bank card.
_MAX_DIGITS = 19

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# The province (first two digits) of a resident ID: mainland provinces, then Taiwan, Hong
# Kong and Macao (and the residence permits of their residents, 81-83).
_PROVINCE_BLOCKS = ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65), (71, 71), (81, 83))
_ID_PROVINCES = frozenset(
    str(code) for first, last in _PROVINCE_BLOCKS for code in range(first, last + 1)
)
# How cards issued in China start: Mastercard's 2221-2720 and 51-55 (any 5), JCB 35, Visa 4,
# UnionPay 62 and 81 (any 6 and 8), older domestic debit cards 9 (9558...). The records' own
# numbers start with a year (2025...), 0 or 1, as no card does.
_CARD_START = re.compile(r"2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|35|[45689]")


def _real_birth_date(yyyymmdd: str) -> bool:
    """Whether the digits are a date from 1900 up to today."""
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= date.today()


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def is_resident_id(number: str) -> bool:
    """A PRC resident ID number, either generation.

    The 18-character one: area (6 digits, the first two its province), birth date (YYYYMMDD),
    sequence (3), then its check character. The first-generation 15-digit one: area (6), birth
    date in the 1900s (YYMMDD), sequence (3) and no check character, so its province and date
    are all that tell it from another 15-digit number.
    """
    if len(number) == 15 and _ascii_digits(number):
        return number[:2] in _ID_PROVINCES and _real_birth_date("19" + number[6:12])
    if len(number) != 18 or not _ascii_digits(number[:17]) or number[:2] not in _ID_PROVINCES:
        return False
    if not _real_birth_date(number[6:14]):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return number[17].upper() == _ID_CHECK[total % 11]


def is_mobile_phone(number: str) -> bool:
    return len(number) == 11 and number.isdigit() and number[0] == "1" and number[1] in "3456789"


def is_bank_card(number: str) -> bool:
    """16-19 digits passing the Luhn check, starting like a card (UnionPay, Visa, Mastercard ...).

    18 digits is also the length of a declaration number, one in ten of which passes Luhn by
    chance, so at that length only UnionPay's 62 prefix counts as a card.
    """
    if not (16 <= len(number) <= 19 and _ascii_digits(number)):
        return False
    if not _CARD_START.match(number):
        return False
    if len(number) == 18 and not number.startswith("62"):
        return False
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _masked(number: str) -> str:
    """The mask of a personal number; empty if the digits are not one."""
    if is_mobile_phone(number):
        return f"{number[:3]}****{number[-4:]}"
    if is_resident_id(number) or is_bank_card(number):
        return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}"
    return ""


def _country_code(digits: str, after_plus: bool) -> str:
    """The China country code a mobile number is written after: 0086, or 86 after a +."""
    if digits.startswith("0086"):
        return "0086"
    return "86" if after_plus and digits.startswith("86") else ""


def _mask_run(run: re.Match[str]) -> str:
    """The run with each personal number in it masked, the rest as it was.

    From each group, the longest span of whole groups that is a personal number is masked and
    the search goes on after it; a group that starts none is kept and the search moves on.
    """
    text = run.string
    # Every digit (or X) of the run as (offset in text, ASCII character); a group is a slice.
    chars: list[tuple[int, str]] = []
    bounds: list[int] = []
    for group in _GROUP.finditer(text, run.start(), run.end()):
        bounds.append(len(chars))
        chars += [(group.start() + i, c.translate(_ASCII)) for i, c in enumerate(group.group())]
    bounds.append(len(chars))

    after_plus = text[run.start()] in _PLUS
    pieces, kept_from, first = [], run.start(), 0
    while first < len(bounds) - 1:
        found = _longest(chars, bounds, first, after_plus and first == 0)
        if found is None:
            first += 1
            continue
        begin, end, last, mask = found
        pieces += [text[kept_from : chars[begin][0]], mask]
        kept_from = chars[end - 1][0] + 1
        first = last + 1
    pieces.append(text[kept_from : run.end()])
    return "".join(pieces)


def _longest(
    chars: list[tuple[int, str]], bounds: list[int], first: int, after_plus: bool
) -> tuple[int, int, int, str] | None:
    """The longest personal number from group `first` on, as the slice of `chars` it takes,
    its last group and its mask; None if there is none."""
    begin, widest = bounds[first], first
    # Up to the longest number and an X; a group alone may be longer (and is no number).
    while widest + 2 < len(bounds) and bounds[widest + 2] - begin <= _MAX_DIGITS + 1:
        widest += 1
    for last in range(widest, first - 1, -1):
        end = bounds[last + 1]
        digits = "".join(c for _, c in chars[begin:end])
        if digits[-1] in "Xx":  # an ID's check character, or a letter after a phone number
            candidates = [(digits, end), (digits[:-1], end - 1)]
        else:
            candidates = [(digits, end)]
        for number, stop in candidates:
            mask = _masked(number)
            if mask:
                return begin, stop, last, mask
            code = _country_code(number, after_plus)
            if code and is_mobile_phone(number[len(code) :]):
                return begin + len(code), stop, last, _masked(number[len(code) :])
    return None


def mask_personal_numbers(text: str) -> str:
    return _RUN.sub(_mask_run, text)
