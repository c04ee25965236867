"""Mask personal numbers (ID cards, mobile phones, bank cards) in text kept or shown to staff.

Transcripts, logs and the agent console see users' words; a resident ID, a phone number or a
bank card number in them must not be readable there. What is masked is recognised by its own
rules, not by length alone, because the Single Window is full of long numbers that must stay
readable: an 18-digit customs declaration number is masked only if it is also a valid ID
number (region digit, real birth date, ISO 7064 check character), and a card number only if it
passes the Luhn check and has a card's length. Masks keep the ends, as banks print them, so a
user and an agent can still tell which number was meant.
"""

import re
from datetime import date

# A digit run, possibly grouped by single spaces or hyphens (6222 0212 3456 7890), ending in a
# digit or (for an ID) X. Lookarounds keep it from starting or ending inside a longer run.
_NUMBER = re.compile(r"(?<![\dA-Za-z])\d(?:[ -]?\d){10,18}(?:[ -]?[Xx])?(?![\dA-Za-z])")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# Mainland region codes start with 1-6 (provinces); 7 and 8 cover Taiwan, Hong Kong and Macao.
_ID_REGION_FIRST = "12345678"


def is_resident_id(number: str) -> bool:
    """A PRC resident ID number: 17 digits with a real birth date, then its check character."""
    if len(number) != 18 or not number[:17].isdigit() or number[0] not in _ID_REGION_FIRST:
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if not date(1900, 1, 1) <= born <= date.today():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return number[17].upper() == _ID_CHECK[total % 11]


def is_mobile_phone(number: str) -> bool:
    return len(number) == 11 and number.isdigit() and number[0] == "1" and number[1] in "3456789"


def is_bank_card(number: str) -> bool:
    """16-19 digits passing the Luhn check (UnionPay, Visa, Mastercard ... numbers).

    18 digits is also the length of a declaration number, one in ten of which passes Luhn by
    chance, so at that length only UnionPay's 62 prefix counts as a card.
    """
    if not (16 <= len(number) <= 19 and number.isdigit()):
        return False
    if len(number) == 18 and not number.startswith("62"):
        return False
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _masked(number: str) -> str:
    if is_mobile_phone(number):
        return f"{number[:3]}****{number[-4:]}"
    if is_resident_id(number) or is_bank_card(number):
        return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}"
    return ""


def mask_personal_numbers(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        found = match.group()
        masked = _masked(re.sub(r"[ -]", "", found))
        return masked or found

    return _NUMBER.sub(replace, text)
