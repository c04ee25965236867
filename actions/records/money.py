"""Money as users read it: yuan with two decimals; stored as integer fen."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def yuan(amount: Decimal) -> Decimal:
    """Rounded half up to fen, as tax bills are."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def to_fen(amount: Decimal) -> int:
    return int(yuan(amount) * 100)


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(FEN)


def rate_from_bp(basis_points: int) -> Decimal:
    return Decimal(basis_points) / 10000


def rate_to_bp(rate: Decimal) -> int:
    return int((rate * 10000).to_integral_value(ROUND_HALF_UP))


def show_yuan(amount: Decimal) -> str:
    """1234.5 -> '1,234.50 元'."""
    return f"{yuan(amount):,.2f} 元"
