"""The one money helper: every amount is Decimal yuan, every split goes through here.

Every ask and every split is computed exactly before its one documented rounding: the
exact values are `fractions.Fraction`s (or integer fen), never a Decimal quotient rounded
to 28 digits. A quotient such as 400 ÷ 3 is not a Decimal; rounded to 133.333…3 and taken
30% of, it floors to 39.99 where the exact ask is 40.00 (issue 20, point 4). Only the
results (whole fen) are Decimals again.

- `to_fen`: half up to the fen (the pools: B = T ÷ (1 + r), I = T × s), and
  `floor_fen`: down to the fen (a tier's ask, the incentive ceiling): the one rounding of
  money, `pinghu_points.money`, used here as everywhere;
- `exact_share`: pool × weight ÷ all weights, exact (the base a tier's ask is taken from);
- `tier_ask`: a tier's share of an exact base, rounded down to the fen;
- `split_by_weights`: largest remainder in integer fen, with `higher_score_first` ties.
"""

import math
from decimal import Decimal, Inexact, localcontext
from fractions import Fraction
from functools import lru_cache

from pinghu_points.money import FEN, exact, floor_fen, rounded, to_fen
from pinghu_points.money import yuan as _yuan

__all__ = [
    "FEN",
    "exact",
    "exact_product",
    "exact_share",
    "floor_fen",
    "higher_score_first",
    "rounded",
    "split_by_weights",
    "tier_ask",
    "to_fen",
]

ZERO = Fraction(0)


def _ratio(value):
    """(numerator, denominator) of an exact value, without building a Fraction."""
    if isinstance(value, Fraction):
        return value.numerator, value.denominator
    if isinstance(value, int):
        return value, 1
    if isinstance(value, float):
        raise TypeError("money is never a float")
    return Decimal(value).as_integer_ratio()


@lru_cache(maxsize=4096)
def exact_share(amount, weight, total_weight):
    """amount × weight ÷ total_weight as an exact Fraction (0 when nothing weighs).

    Cached: most households hold one of a few holdings, so a run of 100,000 households
    works out a few distinct shares (each one a single exact division)."""
    total_numerator, total_denominator = _ratio(total_weight)
    if total_numerator == 0:
        return ZERO
    amount_numerator, amount_denominator = _ratio(amount)
    weight_numerator, weight_denominator = _ratio(weight)
    return Fraction(
        amount_numerator * weight_numerator * total_denominator,
        amount_denominator * weight_denominator * total_numerator,
    )


def tier_ask(base_exact, share):
    """What a household asks under tiers: its tier's share of its exact base, rounded down
    to the fen (the one rounding of an ask), in integer arithmetic."""
    base_numerator, base_denominator = _ratio(base_exact)
    share_numerator, share_denominator = _ratio(share)
    return _yuan((base_numerator * share_numerator * 100) // (base_denominator * share_denominator))


def exact_product(a, b):
    """a × b as an exact Decimal (the weight score × weighted shares): the product of two
    coefficients has at most their digits together, so a context that wide never rounds."""
    a, b = Decimal(a), Decimal(b)
    with localcontext() as context:
        context.prec = len(a.as_tuple().digits) + len(b.as_tuple().digits) + 1
        context.traps[Inexact] = True
        return a * b


def _as_integers(weights):
    """Exact weights (Decimal, int or Fraction) as integers with the same ratios: each
    times the least common multiple of their denominators (no float, no context)."""
    ratios = [_ratio(weight) for weight in weights]
    scale = math.lcm(*{denominator for _, denominator in ratios}) if ratios else 1
    return [numerator * (scale // denominator) for numerator, denominator in ratios]


def higher_score_first(scores):
    """The order in which households get the odd fen of a split when their remainders are
    equal: the higher score first, then the lower household number. `scores` maps the
    household number to its score; the result is a `tie_break` for `split_by_weights`.

    Every split over households (base and incentive) uses it, so the result is
    deterministic and a higher score never gets less than a lower one with the same shares.
    """
    return lambda number: (-scores[number], number)


def split_by_weights(total, weighted, *, tie_break=None):
    """Split `total` yuan over [(key, weight)] so the parts add up to it to the fen.

    Largest-remainder method in integer fen: everyone gets the floor of their exact share
    in fen, the fen left over go one each to the largest remainders; equal remainders are
    broken by `tie_break(key)` ascending (by default the key itself), so the result is
    deterministic. Zero weights get zero. Weights may be Decimal, int or Fraction; they
    are used exactly. Returns {key: Decimal}.
    """
    total = to_fen(total)
    if total < 0:
        raise ValueError("cannot split a negative amount")
    keys = [key for key, _ in weighted]
    integer_weights = _as_integers([weight for _, weight in weighted])
    if any(weight < 0 for weight in integer_weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(integer_weights)
    if weight_sum == 0:
        return dict.fromkeys(keys, Decimal("0.00"))
    total_fen = int(total * 100)
    floors, remainders = {}, []
    for key, weight in zip(keys, integer_weights, strict=True):
        quotient, remainder = divmod(total_fen * weight, weight_sum)
        floors[key] = quotient
        remainders.append(remainder)
    left_over = total_fen - sum(floors.values())
    for key in _largest_remainders(keys, remainders, left_over, tie_break):
        floors[key] += 1
    return {key: _yuan(fen) for key, fen in floors.items()}


def _largest_remainders(keys, remainders, count, tie_break):
    """The `count` keys with the largest remainders, equal remainders by `tie_break`.

    The same keys as sorted(keys, key=lambda k: (-remainder[k], tie_break(k)))[:count],
    without ordering 100,000 households: only the remainders are sorted, and the keys
    only where remainders tie at the cut.
    """
    if count <= 0:
        return []
    cut = sorted(remainders, reverse=True)[count - 1]
    pairs = list(zip(keys, remainders, strict=True))
    above = [key for key, remainder in pairs if remainder > cut]
    at_cut = sorted((key for key, remainder in pairs if remainder == cut), key=tie_break)
    return above + at_cut[: count - len(above)]
