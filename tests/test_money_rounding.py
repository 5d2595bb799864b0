"""The one rounding of money (issue 21, point 3): `pinghu_points.money`, used everywhere."""

import re
from decimal import Decimal as D
from fractions import Fraction
from pathlib import Path

import pytest

from dividends import money as dividend_money
from pinghu_points import money
from pinghu_points.formatting import money as money_text

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "accounts",
    "appeals",
    "awards",
    "banking",
    "communities",
    "dividends",
    "matters",
    "pinghu_points",
    "villages",
)


@pytest.mark.parametrize(
    ("amount", "fen", "floor"),
    [
        (D("0.005"), D("0.01"), D("0.00")),
        (D("-0.005"), D("-0.01"), D("-0.01")),
        (D("2.675"), D("2.68"), D("2.67")),
        (Fraction(400, 3), D("133.33"), D("133.33")),
        (Fraction(2, 3), D("0.67"), D("0.66")),
        (D("1234567.5"), D("1234567.50"), D("1234567.50")),
    ],
)
def test_to_fen_is_half_up_and_floor_fen_down(amount, fen, floor):
    assert money.to_fen(amount) == fen and str(money.to_fen(amount)) == str(fen)
    assert money.floor_fen(amount) == floor


def test_pages_show_amounts_through_to_fen():
    assert money_text(D("2.675")) == "2.68"
    assert money_text(D("-0.005")) == "-0.01"
    assert money_text("1234567.5") == "1,234,567.50"
    assert money_text(None) == ""


def test_the_dividend_splits_use_the_same_functions():
    assert dividend_money.to_fen is money.to_fen
    assert dividend_money.floor_fen is money.floor_fen
    assert dividend_money.rounded is money.rounded


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        money.to_fen(0.1)


# A quantize to the fen (or a rounding mode) outside the one helper is a second copy.
# Share quantities (股数) are not money: the register import keeps its two places itself.
NOT_MONEY = {"villages/importing.py"}
SECOND_COPY = re.compile(r"quantize\((?:Decimal\([\"']0\.01[\"']\)|CENT|FEN)|ROUND_DOWN")


def test_no_module_rounds_money_by_itself():
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            name = str(path.relative_to(ROOT))
            if "migrations" in path.parts or name in NOT_MONEY | {"pinghu_points/money.py"}:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if SECOND_COPY.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
