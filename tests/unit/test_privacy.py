"""Personal numbers are masked; the Single Window's own long numbers stay readable."""

import pytest

from queue_service.logging_setup import redact
from queue_service.privacy import (
    is_bank_card,
    is_resident_id,
    mask_personal_numbers,
)


def with_id_check(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def with_luhn(digits: str) -> str:
    for check in "0123456789":
        if is_bank_card(digits + check):
            return digits + check
    raise AssertionError("no Luhn digit")


RESIDENT_ID = with_id_check("11010519491231002")  # ends in X
CARD = with_luhn("622202123456789")  # 16 digits


def test_the_recognisers() -> None:
    assert RESIDENT_ID.endswith("X") and is_resident_id(RESIDENT_ID)
    assert is_resident_id(RESIDENT_ID.lower())
    assert not is_resident_id(RESIDENT_ID[:-1] + "1")  # wrong check character
    assert not is_resident_id(with_id_check("11010519491331002"))  # month 13
    assert not is_resident_id(with_id_check("91010519491231002"))  # no such region
    assert is_bank_card(CARD)
    assert not is_bank_card(CARD[:-1] + str((int(CARD[-1]) + 1) % 10))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"身份证号是{RESIDENT_ID}，帮我查一下", "身份证号是1101**********002X，帮我查一下"),
        ("手机13812345678", "手机138****5678"),
        ("电话 138 1234 5678 谢谢", "电话 138****5678 谢谢"),
        (f"卡号{CARD}", f"卡号6222********{CARD[-4:]}"),
        (f"卡号 {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}", f"卡号 6222********{CARD[-4:]}"),
    ],
)
def test_personal_numbers_are_masked(text: str, expected: str) -> None:
    assert mask_personal_numbers(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "报关单号010120231000012345查不到",  # 18 digits, not a date, not a card
        "报关单号 531620251000123456",
        "热线95198，专家热线010-86398038",
        "订单号2025112400001",  # 13 digits
        "统一社会信用代码91110000100000000X",
        "编号12345678901234567890123",  # longer than any personal number
    ],
)
def test_other_numbers_stay_readable(text: str) -> None:
    assert mask_personal_numbers(text) == text


def test_logs_are_masked_too() -> None:
    assert redact("user said 13812345678 token=abc") == "user said 138****5678 token=***"
