"""The one money helper: every amount is Decimal yuan, every split goes through here."""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def to_fen(amount):
    """Round a Decimal amount to the fen (half up, as on a bank slip)."""
    return Decimal(amount).quantize(FEN, rounding=ROUND_HALF_UP)


def floor_fen(amount):
    return Decimal(amount).quantize(FEN, rounding=ROUND_DOWN)


def _as_integers(weights):
    """Scale Decimal weights to integers with the same ratios (exact, no float)."""
    exponent = min((weight.as_tuple().exponent for weight in weights), default=0)
    scale = Decimal(1).scaleb(-exponent) if exponent < 0 else Decimal(1)
    return [int(weight * scale) for weight in weights]


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

    Largest-remainder method: everyone gets the floor of their exact share in fen,
    the fen left over go one each to the largest remainders; equal remainders are
    broken by `tie_break(key)` ascending (by default the key itself), so the result is
    deterministic. Zero weights get zero. Returns {key: Decimal}.
    """
    total = to_fen(total)
    if total < 0:
        raise ValueError("cannot split a negative amount")
    keys = [key for key, _ in weighted]
    weights = [Decimal(weight) for _, weight in weighted]
    if any(weight < 0 for weight in weights):
        raise ValueError("weights must not be negative")
    integer_weights = _as_integers(weights)
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
    return {key: Decimal(fen).scaleb(-2) for key, fen in floors.items()}


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
