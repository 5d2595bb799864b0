"""How points are written for people: one helper for every page and export."""

from decimal import ROUND_HALF_UP, Decimal

TENTH = Decimal("0.1")


def plain_points(value, *, empty=""):
    """80.0 → "80", 82.5 → "82.5", as on the paper chart; None → `empty`."""
    if value is None:
        return empty
    value = Decimal(value).quantize(TENTH, rounding=ROUND_HALF_UP)
    return str(value.to_integral_value()) if value == value.to_integral_value() else str(value)


def signed_points(value, *, empty=""):
    """+5, −3 (with a plain minus), 0: an add or a deduct at a glance."""
    if value is None:
        return empty
    return ("+" if value > 0 else "") + plain_points(value)
