"""How the incentive pool is shared out. Each policy is a pure function of the lines,
so it can be tested by hand and by hypothesis without a database."""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .money import exact_product, higher_score_first, split_by_weights, tier_ask

ZERO = Decimal("0")
NO_FEN = Decimal("0.00")


@dataclass
class Candidate:
    number: str  # household number: the deterministic tie-break
    weighted_shares: Decimal
    score: Decimal
    vetoed: bool
    # The exact, unrounded base (pool × shares ÷ all shares, `money.exact_share`, a
    # Fraction): tiers ask their share of it, so that households with equal shares are
    # treated equally whatever the fen rounding of the base did, and an exact ask of a
    # whole fen is that fen (not one less from a rounded quotient).
    base_exact: Decimal | Fraction = ZERO


def eligible(candidate, parameters):
    return _eligible(candidate, **_rules(parameters))


def _rules(parameters):
    """The eligibility rules of a run, parsed once (not once per household)."""
    min_score = parameters.get("min_score")
    return {
        "veto": parameters.get("veto", True),
        "min_score": None if min_score in (None, "") else Decimal(str(min_score)),
    }


def _eligible(candidate, *, veto, min_score):
    """Not vetoed (when the run applies the veto) and not below the minimum score.

    A score of 0 is eligible like any other: under tiers it is paid when a tier starts
    at 0 (`0:0.05`); under the proportional policies its weight is 0, so it gets nothing
    by arithmetic (a score below 0, possible when a standard's lower bound is negative,
    weighs 0 too).
    """
    if veto and candidate.vetoed:
        return False
    return min_score is None or candidate.score >= min_score


def tier_share(score, tiers):
    """The share of its base a household gets for its score: the highest tier it reaches."""
    return _tier_share(score, _parsed_tiers(tiers))


def _parsed_tiers(tiers):
    """[(min_score, share_of_base)] from the highest tier down."""
    parsed = [
        (Decimal(str(tier["min_score"])), Decimal(str(tier["share_of_base"]))) for tier in tiers
    ]
    return sorted(parsed, reverse=True)


def _tier_share(score, parsed_tiers):
    for min_score, share in parsed_tiers:
        if score >= min_score:
            return share
    return ZERO


def _number(value):
    """A finite Decimal from a JSON parameter; NaN and infinities are refused."""
    number = Decimal(str(value))
    if not number.is_finite():
        raise ArithmeticError(f"not a finite number: {value!r}")
    return number


def validate_parameters(policy, parameters):
    """Return a list of problems with a run's policy parameters (empty when fine)."""
    problems = []
    min_score = parameters.get("min_score")
    if min_score not in (None, ""):
        try:
            if _number(min_score) < 0:
                problems.append("min_score")
        except ArithmeticError:
            problems.append("min_score")
    if policy == "tiers":
        tiers = parameters.get("tiers") or []
        if not tiers:
            problems.append("tiers")
        try:
            ordered = sorted(tiers, key=lambda tier: _number(tier["min_score"]))
            shares = [_number(tier["share_of_base"]) for tier in ordered]
        except (KeyError, ArithmeticError, TypeError):
            return problems + ["tiers"]
        # A higher tier must never pay a smaller share: a higher score never pays less.
        if any(share < 0 for share in shares) or shares != sorted(shares):
            problems.append("tiers")
    return problems


def allocate_incentive(*, policy, parameters, pool, candidates):
    """{number: incentive} for every candidate; Σ ≤ pool, the rest is the remainder.

    - score: the whole pool split in proportion to the score of eligible households;
    - score_shares: in proportion to score × weighted shares;
    - tiers: each eligible household asks for its tier's share of its exact base amount
      (a Fraction), rounded down to the fen (`money.tier_ask`), and gets it; if the asks
      add up to more than the pool, the pool is split in proportion to the asks (those
      amounts in fen) instead.
    Ineligible households (vetoed, below the minimum score) get nothing; a score of 0
    or below weighs 0 under the proportional policies. A pool split gives the odd fen by
    largest remainder, equal remainders to the higher score, then to the lower household
    number (`money.higher_score_first`).
    """
    weights = []
    rules = _rules(parameters)
    tiers = _parsed_tiers(parameters.get("tiers", [])) if policy == "tiers" else []
    for candidate in candidates:
        if not _eligible(candidate, **rules):
            weight = ZERO
        elif policy == "score":
            weight = max(candidate.score, ZERO)
        elif policy == "score_shares":
            weight = exact_product(max(candidate.score, ZERO), candidate.weighted_shares)
        elif policy == "tiers":
            weight = tier_ask(candidate.base_exact, _tier_share(candidate.score, tiers))
        else:
            raise ValueError(f"unknown policy {policy!r}")
        weights.append((candidate.number, weight))
    if policy == "tiers" and sum((weight for _, weight in weights), ZERO) <= pool:
        return {number: weight if weight else NO_FEN for number, weight in weights}
    scores = {candidate.number: candidate.score for candidate in candidates}
    return split_by_weights(pool, weights, tie_break=higher_score_first(scores))
