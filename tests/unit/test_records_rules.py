"""The records' rules: cross-border tax, money in fen, print files kept a month, plates."""

import random
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from actions.queries.conditions import ConditionError, plate_in
from actions.records import statuses
from actions.records.demo import id_number, large, small
from actions.records.models import Consumer, Declaration, Inventory
from actions.records.money import from_fen, show_yuan, to_fen
from actions.records.sql import one_month_later
from actions.records.taxes import Rates, item_tax, within_limits
from kernel.clock import CHINA_TZ

COSMETICS = Rates(tariff=Decimal("0.01"), consumption=Decimal("0.15"), vat=Decimal("0.13"))


def test_within_the_limits_no_tariff_and_70_percent_of_the_taxes() -> None:
    tax = item_tax(Decimal("560"), COSMETICS, within_limits=True)
    # Consumption tax on the tax-inclusive price: 560 / 0.85 * 0.15 = 98.8235..., at 70%.
    assert tax.consumption == Decimal("69.18")
    # VAT on price + consumption tax: (560 + 98.8235) * 0.13 = 85.647..., at 70%.
    assert tax.vat == Decimal("59.95")
    assert (tax.tariff_rate, tax.tariff) == (Decimal(0), Decimal("0.00"))
    assert tax.total == Decimal("129.13")


def test_over_the_limits_taxed_in_full_with_the_tariff() -> None:
    tax = item_tax(Decimal("560"), COSMETICS, within_limits=False)
    assert tax.tariff == Decimal("5.60")
    assert tax.consumption == Decimal("99.81")  # 565.6 / 0.85 * 0.15
    assert tax.vat == Decimal("86.50")  # (565.6 + 99.8118) * 0.13


def test_goods_without_consumption_tax_pay_vat_only() -> None:
    tax = item_tax(Decimal("100"), Rates(Decimal("0.15"), Decimal(0), Decimal("0.09")), True)
    assert (tax.consumption, tax.vat) == (Decimal("0.00"), Decimal("6.30"))


@pytest.mark.parametrize(
    ("order", "used", "inside"),
    [
        ("5000", "0", True),
        ("5000.01", "0", False),  # over the single-transaction limit
        ("1000", "25000", True),  # reaches the annual limit exactly
        ("1000.01", "25000", False),  # would pass it
    ],
)
def test_the_limits(order: str, used: str, inside: bool) -> None:
    assert within_limits(Decimal(order), Decimal(used)) is inside


def test_money_is_kept_in_fen_and_shown_in_yuan() -> None:
    assert to_fen(Decimal("12.345")) == 1235  # half up
    assert from_fen(1235) == Decimal("12.35")
    assert show_yuan(Decimal("26000")) == "26,000.00 元"


@pytest.mark.parametrize(
    ("made", "until"),
    [
        (date(2026, 11, 24), date(2026, 12, 24)),
        (date(2026, 12, 15), date(2027, 1, 15)),
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),
    ],
)
def test_print_files_stay_one_month(made: date, until: date) -> None:
    moment = datetime(made.year, made.month, made.day, 10, tzinfo=CHINA_TZ).astimezone(UTC)
    assert one_month_later(moment).date() == until


def test_demo_data_is_the_same_on_every_run_and_well_formed() -> None:
    first, second = small(date(2026, 11, 24)), small(date(2026, 11, 24))
    assert first.tables == second.tables
    number = id_number(random.Random(1))
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    checksum = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True)) % 11
    assert len(number) == 18
    assert number[17] == "10X98765432"[checksum]


def test_the_benchmark_set_scales_and_keeps_people_apart() -> None:
    rows = large(date(2026, 11, 24), scale=0.02).tables
    consumers = rows[Consumer]
    assert len(consumers) == 200
    assert len(rows[Inventory]) == 2000
    assert len(rows[Declaration]) == 400
    assert len({c["id_number"] for c in consumers}) == len(consumers)


@pytest.mark.parametrize(
    ("text", "plate"),
    [("京a12345的备案", "京A12345"), ("沪AD12345", "沪AD12345"), ("没有车牌", None)],
)
def test_plates_are_read_from_words(text: str, plate: str | None) -> None:
    assert plate_in(text) == plate


@pytest.mark.parametrize("text", ["京A1234", "京I12345", "京A1234567"])
def test_malformed_plates_are_refused(text: str) -> None:
    with pytest.raises(ConditionError, match="车牌号格式不正确"):
        plate_in(text)


@pytest.mark.parametrize(
    ("text", "table", "code"),
    [
        ("怎么还在制作中", statuses.PRINT, "3"),
        ("报关单还没结关，未结关能打印吗", statuses.PRINT, "2"),
        ("无签章已生成是什么意思", statuses.PRINT, "0"),  # the longest name wins over 已生成
        ("导出数据生成失败了", statuses.EXPORT, "2"),
        ("我的税单", statuses.TAX_BILL, None),
    ],
)
def test_statuses_named_in_words(text: str, table: dict, code: str | None) -> None:
    named = statuses.named_in(text, table)
    assert (named.code if named else None) == code
