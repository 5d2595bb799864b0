"""The one rounding of money: every amount rounded to the fen goes through here.

Amounts are Decimal yuan. Rounding works on the exact rational value (a
`fractions.Fraction`), never on a Decimal quotient already rounded to 28 digits, so a
value is rounded once, by its documented rule:

- `to_fen`: half up to the fen (away from zero, as on a bank slip): pools, page amounts;
- `floor_fen`: down to the fen (a tier's ask, the incentive ceiling, an equal share shown);
- `rounded`: an exact value shown to a number of decimals, half up (a share before the
  fen rounding, a percentage); for display only, never for money paid.

The dividend's splits (`dividends.money`) and the `money` filter of every page
(`pinghu_points.formatting.money`) use these three; no other module quantizes money.
"""

import math
from decimal import Decimal
from fractions import Fraction

FEN = Decimal("0.01")
MAX_DIGITS = 27  # scaleb rounds to the context precision (28) beyond this


def exact(value):
    """The exact rational value of a Decimal, int, Fraction or decimal text (never a float)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        raise TypeError("money is never a float")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ArithmeticError(f"not a finite amount: {value!r}")
    return Fraction(value)


def decimal_of_units(units, places):
    """An integer count of 10^-places as an exact Decimal with that many places."""
    if abs(units) >= 10**MAX_DIGITS:
        raise ArithmeticError("amount too large")
    return Decimal(units).scaleb(-places)  # exact below the context's 28 digits


def yuan(fen):
    """Integer fen as Decimal yuan with two places (12345 → Decimal("123.45"))."""
    return decimal_of_units(fen, 2)


def rounded(value, places=4):
    """An exact value shown to `places` decimals, half up (a share before the fen rounding
    on the statement: 280,800.0000). For display only, never for money paid."""
    scaled = exact(value) * 10**places
    units = math.floor(abs(scaled) + Fraction(1, 2))
    return decimal_of_units(-units if scaled < 0 else units, places)


def to_fen(amount):
    """Round an amount to the fen, half up (away from zero, as on a bank slip), exactly."""
    return rounded(amount, 2)


def floor_fen(amount):
    """Round an amount down to the fen, exactly."""
    return yuan(math.floor(exact(amount) * 100))
