from decimal import Decimal

import pytest

from bot.money import format_usd, usd


def test_usd_is_exact_micro_dollars() -> None:
    assert usd("0.20") == 200_000
    assert usd("1") == 1_000_000
    assert usd(3) == 3_000_000
    assert usd(Decimal("0.2419")) == 241_900


def test_usd_refuses_sub_micro_precision_and_garbage() -> None:
    with pytest.raises(ValueError, match="precision"):
        usd("0.0000001")
    with pytest.raises(ValueError, match="not an amount"):
        usd("lots")
    with pytest.raises(ValueError, match="not an amount"):
        usd("NaN")


def test_format_usd_shows_a_third_decimal_only_when_needed() -> None:
    assert format_usd(1_000_000) == "USD 1.00"
    assert format_usd(241_900) == "USD 0.242"
    assert format_usd(1_234_000_000) == "USD 1,234.00"
    assert format_usd(0) == "USD 0.00"
