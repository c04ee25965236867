"""Personal numbers are masked; the Single Window's own long numbers stay readable."""

import time
from datetime import date

import pytest

from actions.records import demo
from kernel.logging_setup import redact
from kernel.privacy import (
    is_bank_card,
    is_resident_id,
    mask_personal_numbers,
)


def with_id_check(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def with_luhn(digits: str) -> str:
    """The digits and the check digit that makes them pass the Luhn check, card or not."""
    for check in "0123456789":
        number = digits + check
        total = sum(
            (int(d) * 2 - 9 if int(d) * 2 > 9 else int(d) * 2) if i % 2 else int(d)
            for i, d in enumerate(reversed(number))
        )
        if total % 10 == 0:
            return number
    raise AssertionError("no Luhn digit")


def full_width(text: str) -> str:
    return text.translate(str.maketrans("0123456789Xx+", "０１２３４５６７８９Ｘｘ＋"))


RESIDENT_ID = with_id_check("11010519491231002")  # ends in X
OLD_ID = "110105491231002"  # first generation: 15 digits, born 1949-12-31, no check character
CARD = with_luhn("622202123456789")  # 16 digits
CARD_19 = with_luhn("621700123456789012")
VISA = with_luhn("411111111111111")


def test_the_recognisers() -> None:
    assert RESIDENT_ID.endswith("X") and is_resident_id(RESIDENT_ID)
    assert is_resident_id(RESIDENT_ID.lower())
    assert not is_resident_id(RESIDENT_ID[:-1] + "1")  # wrong check character
    assert not is_resident_id(with_id_check("11010519491331002"))  # month 13
    assert not is_resident_id(with_id_check("91010519491231002"))  # no such region
    assert is_resident_id(OLD_ID)
    assert not is_resident_id("110105491331002")  # month 13
    assert not is_resident_id("910105491231002")  # no such province
    assert not is_resident_id("１１０１０５４９１２３１００２")  # only ASCII digits are recognised
    assert is_bank_card(CARD) and is_bank_card(CARD_19) and is_bank_card(VISA)
    assert not is_bank_card(CARD[:-1] + str((int(CARD[-1]) + 1) % 10))
    assert not is_bank_card(with_luhn("202511240000000"))  # starts like a date, not a card
    assert not is_bank_card(with_luhn("53162025100012345"))  # 18 digits, not UnionPay


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"身份证号是{RESIDENT_ID}，帮我查一下", "身份证号是1101**********002X，帮我查一下"),
        ("手机13812345678", "手机138****5678"),
        ("电话 138 1234 5678 谢谢", "电话 138****5678 谢谢"),
        (f"卡号{CARD}", f"卡号6222********{CARD[-4:]}"),
        (f"卡号 {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}", f"卡号 6222********{CARD[-4:]}"),
        # After a country code, which stays as typed.
        ("+86 13812345678", "+86 138****5678"),
        ("+8613812345678", "+86138****5678"),
        ("+86-138-1234-5678", "+86-138****5678"),
        ("（+86）13812345678", "（+86）138****5678"),
        ("0086-13812345678", "0086-138****5678"),
        ("008613812345678", "0086138****5678"),
        ("86 13812345678", "86 138****5678"),
        # Full-width digits, spaces and X, as Chinese input methods type them.
        (full_width("13812345678"), "138****5678"),
        (f"手机：{full_width('138　1234　5678')}", "手机：138****5678"),
        (full_width("+8613812345678"), "＋８６138****5678"),
        (f"身份证{full_width(RESIDENT_ID)}", "身份证1101**********002X"),
        (f"卡号{full_width(CARD)}", f"卡号6222********{CARD[-4:]}"),
        # Glued to a word or a sign.
        ("tel13812345678", "tel138****5678"),
        ("Tel:13812345678", "Tel:138****5678"),
        ("phone13812345678call", "phone138****5678call"),
        ("电话:13812345678。", "电话:138****5678。"),
        ("电话13812345678", "电话138****5678"),
        (f"ID{RESIDENT_ID}", "ID1101**********002X"),
        ("13812345678x", "138****5678x"),  # an X after a phone is not part of it
        # Resident IDs: a lower-case x, the 15-digit first generation.
        (f"身份证 {RESIDENT_ID.lower()}", "身份证 1101**********002x"),
        (f"老身份证{OLD_ID}", "老身份证1101*******1002"),
        ("老身份证 110105 491231 002", "老身份证 1101*******1002"),
        # Several numbers in one run of digits and separators: each on its own.
        ("13812345678 13912345678", "138****5678 139****5678"),
        ("13812345678-13912345678", "138****5678-139****5678"),
        ("138 1234 5678 139 1234 5678", "138****5678 139****5678"),
        (f"13812345678 {RESIDENT_ID}", "138****5678 1101**********002X"),
        (f"{RESIDENT_ID} 13812345678", "1101**********002X 138****5678"),
        (f"{OLD_ID} 13812345678", "1101*******1002 138****5678"),
        (f"{RESIDENT_ID} {CARD}", f"1101**********002X 6222********{CARD[-4:]}"),
        (
            f"{CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]} 13812345678",
            f"6222********{CARD[-4:]} 138****5678",
        ),
        (f"卡{CARD_19}", f"卡6217***********{CARD_19[-4:]}"),
        (f"visa {VISA}", f"visa 4111********{VISA[-4:]}"),
        # A business number next to a personal one keeps its digits.
        ("531620251000123456 13812345678", "531620251000123456 138****5678"),
        ("2025-12-31 13812345678", "2025-12-31 138****5678"),
        ("1 13812345678", "1 138****5678"),
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
        # Declaration numbers: 18 digits, not an ID; passing Luhn does not make one a card.
        "报关单号 010120231000012345",
        f"报关单号{with_luhn('53162025100012345')}",
        "报关单号 5316 2025 1000 123456",
        # Tax bill and other record numbers of 18 to 20 digits.
        "税款编号 000022000000000012",
        f"税单号{with_luhn('202511010001234567')}",  # 19 digits passing Luhn, starts as a year
        "税单号 22000000000000001234",
        "业务统一编号T2025112400000000000001",
        f"申请编号DY{with_luhn('202511240000001')}",
        f"订单编号ORD{with_luhn('202511240000001')}",
        # 15 digits that are not a first-generation ID.
        "流水号 202511240000123",
        "流水号 110105493231002",  # month 32
        # Dates, amounts, short numbers.
        "日期 20251231，2025-12-31，2025年12月31日",
        "金额 13800.00 元，合计￥1,380,000.00，限值 100000000 元",
        "商品编码 3304990029，数量 12",
        # Landlines: office numbers an agent needs to read.
        "请拨打 010-12345678 或 0755-1234567，(010)86398038",
        # A bare 86 is not a country code: 13-digit business numbers start with it too.
        "编号 8613812345678",
    ],
)
def test_other_numbers_stay_readable(text: str) -> None:
    assert mask_personal_numbers(text) == text


def test_the_demo_records_keep_their_numbers_and_lose_their_id_numbers() -> None:
    rows = demo.small(date(2026, 11, 24))
    checked = 0
    for table in rows.tables.values():
        for row in table:
            for column, value in row.items():
                if not isinstance(value, str) or not any(c.isdigit() for c in value):
                    continue
                checked += 1
                if column == "id_number":
                    assert mask_personal_numbers(value) == f"{value[:4]}{'*' * 10}{value[-4:]}"
                else:
                    assert mask_personal_numbers(value) == value, (column, value)
    assert checked > 500


def test_masking_takes_linear_time() -> None:
    """Logs and transcripts are masked on every turn: a crafted message must not stall them."""
    started = time.perf_counter()
    for text in ("1 " * 100_000, "1" * 200_000, "13812345678 " * 20_000, "1-" * 100_000 + "X"):
        mask_personal_numbers(text)
    assert time.perf_counter() - started < 5


def test_logs_are_masked_too() -> None:
    assert redact("user said 13812345678 token=abc") == "user said 138****5678 token=***"
