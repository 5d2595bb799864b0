"""How points are written for people: one helper for every page and export."""

from decimal import ROUND_HALF_UP, Decimal

from pinghu_points.money import to_fen

TENTH = Decimal("0.1")


def plain_points(value, *, empty=""):
    """80.0 → "80", 82.5 → "82.5", as on the paper chart; None → `empty`."""
    if value is None:
        return empty
    value = Decimal(value).quantize(TENTH, rounding=ROUND_HALF_UP)
    return str(value.to_integral_value()) if value == value.to_integral_value() else str(value)


def points_number(value):
    """Points as a Decimal with one decimal at most, for exports: 80.0 → 80, 82.46 → 82.5."""
    if value is None:
        return None
    value = Decimal(value).quantize(TENTH, rounding=ROUND_HALF_UP)
    return value.to_integral_value() if value == value.to_integral_value() else value


def signed_points(value, *, empty=""):
    """+5, −3 (with a plain minus), 0: an add or a deduct at a glance."""
    if value is None:
        return empty
    return ("+" if value > 0 else "") + plain_points(value)


def signed_points_total(value):
    """A total of points with its sign and always one decimal, as the import's summary
    prints it (docs/import-formats.md): +4.0, -3.5, 0.0."""
    value = Decimal(value).quantize(TENTH, rounding=ROUND_HALF_UP)
    return f"{value:+}" if value else "0.0"


def money(value, *, empty=""):
    """Yuan with thousands separators and two decimals: 1234567.5 → "1,234,567.50"; None → `empty`.

    The one way pages (the `money` template filter) and printed lines show an amount.
    Amounts are stored to the fen; anything finer is rounded by `to_fen` (half up).
    """
    if value is None or value == "":
        return empty
    return f"{to_fen(Decimal(value)):,.2f}"


def person_name(user, *, empty=""):
    """A user as people know them: the full name where one is recorded, else the username."""
    if user is None:
        return empty
    return user.get_full_name() or user.get_username()
