"""`{% load amounts %}`: how pages show money. One filter for every amount on a page.

{{ line.total_amount|money }}          1234567.5 → 1,234,567.50
{{ row.difference|signed_money }}      +1,234.50 / -1,234.50 / 0.00
{{ line.weighted_shares|exact }}       3.000000 → 3, 0.499950 → 0.49995 (never rounded)
"""

from django import template

from dividends.money import rounded
from pinghu_points.exports import plain_decimal
from pinghu_points.formatting import money as money_text

register = template.Library()


@register.filter
def money(value):
    """Yuan with thousands separators and two decimals; None → ""."""
    return money_text(value)


@register.filter
def signed_money(value):
    """Like `money`, with "+" before a gain: a difference from last year at a glance."""
    if value is None or value == "":
        return ""
    return ("+" if value > 0 else "") + money_text(value)


@register.filter
def exact(value):
    """A Decimal as it is, without trailing zeros and never rounded (weighted shares)."""
    if value is None or value == "":
        return ""
    return plain_decimal(value)


@register.filter
def money_exact(value):
    """An exact share of a pool (Decimal or Fraction) before the fen rounding, to 4
    decimals, half up: 280,800.0000, 133.3333 for 400 ÷ 3."""
    if value is None or value == "":
        return ""
    return f"{rounded(value, 4):,.4f}"
