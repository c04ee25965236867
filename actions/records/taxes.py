"""Cross-border e-commerce retail import tax (跨境电商零售进口税).

Within the limits (5,000 yuan per transaction, 26,000 yuan per person per calendar year) the
tariff is 0 and import VAT and consumption tax are charged at 70% of the statutory amounts.
An order over the limits is taxed in full, as general trade. Amounts are in yuan, rounded half
up to fen, item by item, as the tax bill shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from actions.records.money import yuan

SINGLE_LIMIT = Decimal("5000")
ANNUAL_LIMIT = Decimal("26000")
WITHIN_LIMITS_SHARE = Decimal("0.7")


@dataclass(frozen=True)
class Rates:
    """Statutory rates of a commodity, as fractions (0.13 for 13%)."""

    tariff: Decimal
    consumption: Decimal
    vat: Decimal


@dataclass(frozen=True)
class ItemTax:
    tariff_rate: Decimal  # the rate applied: 0 within the limits
    tariff: Decimal
    consumption_rate: Decimal
    consumption: Decimal
    vat_rate: Decimal
    vat: Decimal

    @property
    def total(self) -> Decimal:
        return self.tariff + self.consumption + self.vat


def item_tax(dutiable: Decimal, rates: Rates, within_limits: bool) -> ItemTax:
    """The tax on one item of a declared dutiable value (完税总价).

    Consumption tax is levied on the tax-inclusive price: (value + tariff) / (1 - rate) * rate;
    VAT on value + tariff + consumption tax. Within the limits the tariff is waived and both
    taxes are charged at 70%.
    """
    tariff_rate = Decimal(0) if within_limits else rates.tariff
    share = WITHIN_LIMITS_SHARE if within_limits else Decimal(1)
    tariff = dutiable * tariff_rate
    consumption_full = (dutiable + tariff) / (1 - rates.consumption) * rates.consumption
    vat_full = (dutiable + tariff + consumption_full) * rates.vat
    return ItemTax(
        tariff_rate=tariff_rate,
        tariff=yuan(tariff),
        consumption_rate=rates.consumption,
        consumption=yuan(consumption_full * share),
        vat_rate=rates.vat,
        vat=yuan(vat_full * share),
    )


def within_limits(order_total: Decimal, used_this_year: Decimal) -> bool:
    """Whether an order is taxed at the cross-border rate.

    Over the single-transaction limit (even one indivisible item, which may still come in) or
    taking the year's total over the annual limit, it is taxed in full.
    """
    return order_total <= SINGLE_LIMIT and used_this_year + order_total <= ANNUAL_LIMIT
