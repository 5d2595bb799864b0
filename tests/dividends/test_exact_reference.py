"""Issue 20, point 4: every ask and every split is exact before its one rounding.

An independent reference computes a run's money with `fractions.Fraction` only (pools,
base split, each policy's incentive, the largest remainder with the documented tie rule:
the higher score, then the lower household number), and hypothesis compares it with the
product's `pools`, `split_by_weights` and `allocate_incentive`, fen for fen. No database.
"""

import math
from decimal import Decimal
from fractions import Fraction

from hypothesis import example, given, settings
from hypothesis import strategies as st

from dividends.models import DividendRun
from dividends.money import exact_share, higher_score_first, split_by_weights
from dividends.policies import Candidate, allocate_incentive
from dividends.services import pools

D = Decimal
Mode = DividendRun.IncentiveMode
PROPERTY = settings(max_examples=400, deadline=None)


# --- The reference: rationals only, written from docs/dividends.md -----------------------


def ref_fen_half_up(value):
    return math.floor(value * 100 + Fraction(1, 2))  # value ≥ 0 here


def ref_pools(total, mode, value):
    """(B, I) in fen."""
    total, value = Fraction(total), Fraction(value)
    total_fen = int(total * 100)
    if mode == Mode.RATIO_OF_BASE:
        base = ref_fen_half_up(total / (1 + value))
        return base, total_fen - base
    if mode == Mode.SHARE_OF_TOTAL:
        incentive = ref_fen_half_up(total * value)
        return total_fen - incentive, incentive
    return total_fen - int(value * 100), int(value * 100)


def ref_split(pool_fen, weights, scores):
    """{number: fen}: floors of the exact shares, the fen left over to the largest
    remainders; equal remainders to the higher score, then the lower number."""
    weight_sum = sum(weights.values(), Fraction(0))
    if weight_sum == 0:
        return dict.fromkeys(weights, 0)
    exact = {number: pool_fen * weight / weight_sum for number, weight in weights.items()}
    paid = {number: math.floor(share) for number, share in exact.items()}
    left = pool_fen - sum(paid.values())
    order = sorted(exact, key=lambda n: (-(exact[n] - paid[n]), -scores[n], n))
    for number in order[:left]:
        paid[number] += 1
    return paid


def ref_tier_share(score, tiers):
    reached = [
        Fraction(t["share_of_base"]) for t in tiers if Fraction(score) >= Fraction(t["min_score"])
    ]
    return max(reached, default=Fraction(0))


def ref_run(total, mode, value, policy, parameters, households):
    """{number: (base fen, incentive fen)} and the remainder in fen."""
    base_fen, pool_fen = ref_pools(total, mode, value)
    shares = {number: Fraction(s) for number, s, _, _ in households}
    scores = {number: Fraction(score) for number, _, score, _ in households}
    all_shares = sum(shares.values(), Fraction(0))
    base = ref_split(base_fen, shares, scores)
    minimum = parameters.get("min_score")

    def eligible(number, vetoed):
        if parameters.get("veto", True) and vetoed:
            return False
        return minimum is None or scores[number] >= Fraction(minimum)

    weights = {}
    for number, _, _, vetoed in households:
        if not eligible(number, vetoed):
            weights[number] = Fraction(0)
        elif policy == "score":
            weights[number] = max(scores[number], Fraction(0))
        elif policy == "score_shares":
            weights[number] = max(scores[number], Fraction(0)) * shares[number]
        else:
            exact_base = Fraction(base_fen, 100) * shares[number] / all_shares
            share = ref_tier_share(scores[number], parameters["tiers"])
            weights[number] = Fraction(math.floor(exact_base * share * 100))  # the ask, fen
    if policy == "tiers" and sum(weights.values()) <= pool_fen:
        incentive = {number: int(ask) for number, ask in weights.items()}
    else:
        incentive = ref_split(pool_fen, weights, scores)
    remainder = pool_fen - sum(incentive.values())
    return {n: (base[n], incentive[n]) for n in shares}, remainder


# --- The product, wired as services.compute_lines wires it ------------------------------


def product_run(total, mode, value, policy, parameters, households):
    base_pool, incentive_pool = pools(total=total, incentive_mode=mode, incentive_value=value)
    scores = {number: score for number, _, score, _ in households}
    base = split_by_weights(
        base_pool,
        [(number, shares) for number, shares, _, _ in households],
        tie_break=higher_score_first(scores),
    )
    all_shares = sum((shares for _, shares, _, _ in households), D("0"))
    candidates = [
        Candidate(
            number=number,
            weighted_shares=shares,
            score=score,
            vetoed=vetoed,
            base_exact=exact_share(base_pool, shares, all_shares),
        )
        for number, shares, score, vetoed in households
    ]
    incentive = allocate_incentive(
        policy=policy, parameters=parameters, pool=incentive_pool, candidates=candidates
    )
    remainder = incentive_pool - sum(incentive.values(), D("0"))
    return (
        {n: (int(base[n] * 100), int(incentive[n] * 100)) for n in base},
        int(remainder * 100),
        (base_pool, incentive_pool),
    )


# --- Strategies: thirds, sevenths and tier shares that cancel them come up often ---------

# Weighted shares with 2 and 6 decimals (0.5 农龄股, 0.3333 weights).
SHARES = [D("1"), D("1"), D("2"), D("3"), D("2.5"), D("0.75"), D("7"), D("0.49995")]
# Shares of the base that make an exact third or seventh of a base a whole fen.
TIER_SHARES = [D("0.3"), D("0.21"), D("0.15"), D("0.6"), D("0.05"), D("0.1"), D("0.33")]
scores = st.one_of(
    st.sampled_from([D(80), D(30), D(60), D(90), D(0)]),
    st.decimals(min_value=0, max_value=120, places=1),
)


@st.composite
def tier_tables(draw):
    count = draw(st.integers(min_value=1, max_value=3))
    minimums = sorted(
        draw(st.sets(st.integers(min_value=0, max_value=100), min_size=count, max_size=count))
    )
    shares = sorted(draw(st.lists(st.sampled_from(TIER_SHARES), min_size=count, max_size=count)))
    return [
        {"min_score": str(minimum), "share_of_base": str(share)}
        for minimum, share in zip(minimums, shares, strict=True)
    ]


@st.composite
def runs(draw):
    policy = draw(st.sampled_from(["score", "score_shares", "tiers"]))
    parameters = {"veto": draw(st.booleans())}
    if draw(st.booleans()):
        parameters["min_score"] = str(draw(st.integers(min_value=0, max_value=100)))
    if policy == "tiers":
        parameters["tiers"] = draw(tier_tables())
    if draw(st.booleans()):
        rows = draw(
            st.lists(
                st.tuples(st.sampled_from(SHARES), scores, st.booleans()), min_size=1, max_size=30
            )
        )
    else:
        # n equal households: each base is an exact n-th, never a terminating decimal
        # for n = 3, 6, 7 …, and a tier share such as 0.3 or 0.21 makes its ask whole fen.
        count = draw(st.sampled_from([3, 6, 7, 9, 21]))
        rows = [(D("1"), draw(scores), draw(st.booleans())) for _ in range(count)]
    households = [
        (f"H{index:04d}", shares, score, vetoed)
        for index, (shares, score, vetoed) in enumerate(rows, start=1)
    ]
    total = draw(
        st.one_of(
            # Round totals: the base is a whole number of yuan, its thirds exact fen.
            st.integers(min_value=0, max_value=10**6).map(lambda n: D(n * 5)),
            st.decimals(min_value=0, max_value=10**8, places=2),
            st.decimals(min_value=0, max_value=D("1.00"), places=2),
        )
    )
    mode = draw(st.sampled_from(list(Mode)))
    if mode == Mode.FIXED:
        value = (total * draw(st.decimals(min_value=0, max_value=1, places=2))).quantize(
            D("0.01"), rounding="ROUND_DOWN"
        )
    elif mode == Mode.SHARE_OF_TOTAL:
        value = draw(
            st.sampled_from([D("0.2"), D("0.15"), D("0.1235")]) | st.decimals(0, 1, places=4)
        )
    else:
        value = draw(st.sampled_from([D("0.2"), D("0.25")]) | st.decimals(0, 1, places=4))
    return total, mode, value, policy, parameters, households


@st.composite
def whole_fen_asks(draw):
    """Tiers runs whose exact asks are whole fen while the bases are not terminating
    decimals: n equal households (n = 3, 6, 7, 9), a tier share that cancels n, a base
    pool of whole yuan. A base rounded to 28 digits asks one fen less about every other
    time; the exact base never does."""
    count = draw(st.sampled_from([3, 6, 7, 9]))
    share = draw(st.sampled_from([D("0.3"), D("0.6"), D("0.21"), D("0.09"), D("0.63")]))
    base_pool = D(draw(st.integers(min_value=1, max_value=10**7)))
    incentive_pool = draw(st.sampled_from([base_pool, D("0.01") * count]))
    households = [(f"H{index:04d}", D("1"), draw(scores), False) for index in range(1, count + 1)]
    tiers = [{"min_score": "0", "share_of_base": str(share)}]
    return (
        base_pool + incentive_pool,
        Mode.FIXED,
        incentive_pool,
        "tiers",
        {"tiers": tiers},
        households,
    )


ISSUE_CASE = (
    D("500.00"),
    Mode.SHARE_OF_TOTAL,
    D("0.2"),
    "tiers",
    {"tiers": [{"min_score": "60", "share_of_base": "0.3"}]},
    [
        ("H1", D("1"), D("80"), False),
        ("H2", D("1"), D("30"), False),
        ("H3", D("1"), D("30"), False),
    ],
)


@PROPERTY
@given(run=runs())
@example(run=ISSUE_CASE)
def test_each_policy_agrees_with_the_exact_reference_to_the_fen(run):
    expected, expected_remainder = ref_run(*run)
    got, remainder, (base_pool, incentive_pool) = product_run(*run)
    assert got == expected
    assert remainder == expected_remainder
    # To the pool, to the fen: Σ base = B, Σ incentive + remainder = I, B + I = T.
    assert sum(base for base, _ in got.values()) == int(base_pool * 100)
    assert sum(incentive for _, incentive in got.values()) + remainder == int(incentive_pool * 100)
    assert base_pool + incentive_pool == run[0]


def test_the_issue_case_asks_exactly_forty_yuan():
    """T = 500.00, share 0.2, tiers 60:0.3, three one-share households scoring 80, 30, 30:
    B = 400.00, the first household's exact ask 400/3 × 0.3 = 40.00 (was 39.99)."""
    got, remainder, pools_ = product_run(*ISSUE_CASE)
    assert pools_ == (D("400.00"), D("100.00"))
    assert got == {"H1": (13334, 4000), "H2": (13333, 0), "H3": (13333, 0)}
    assert remainder == 6000


@settings(max_examples=200, deadline=None)
@given(run=whole_fen_asks())
def test_an_ask_of_whole_fen_is_that_fen(run):
    """Where a rounded quotient loses a fen: the product agrees with the reference."""
    expected, expected_remainder = ref_run(*run)
    got, remainder, _pools = product_run(*run)
    assert got == expected
    assert remainder == expected_remainder
