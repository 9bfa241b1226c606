"""Money as integer micro-dollars (USD 1.00 == 1_000_000). Never floats."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MICROS_PER_USD = 1_000_000

Micros = int
"""An amount of money in micro-dollars."""


def usd(value: str | int | Decimal) -> Micros:
    """Parse a USD amount ("0.20", 3, Decimal("1.5")) into exact micro-dollars.

    Floats are refused: they cannot carry money exactly.
    """
    if isinstance(value, float):  # pragma: no cover - guarded by type hints too
        raise TypeError("USD amounts must be given as str, int or Decimal, not float")
    try:
        amount = Decimal(value) * MICROS_PER_USD
    except InvalidOperation as exc:
        raise ValueError(f"not an amount of money: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount of money: {value!r}")
    if amount != amount.to_integral_value():
        raise ValueError(f"{value!r} has more precision than a micro-dollar")
    return int(amount)


def format_usd(micros: Micros, *, places: int | None = None) -> str:
    """Render micro-dollars as "USD 1.00"; shows a third decimal only when it matters, and an
    amount under a cent (a prompt helper's tokens) to its last non-zero micro-dollar."""
    amount = Decimal(micros) / MICROS_PER_USD
    if places is None:
        places = 2 if amount == amount.quantize(Decimal("0.01")) else 3
        if places == 3 and abs(amount) < Decimal("0.01"):
            places = max(3, -amount.normalize().as_tuple().exponent)  # type: ignore[operator]
    quantum = Decimal(1).scaleb(-places)
    return f"USD {amount.quantize(quantum, rounding=ROUND_HALF_UP):,}"
