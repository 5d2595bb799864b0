"""How the incentive pool is shared out: each policy by hand, then by hypothesis (no database)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dividends.money import split_by_weights
from dividends.policies import (
    Candidate,
    allocate_incentive,
    eligible,
    tier_share,
    validate_parameters,
)

D = Decimal
PROPERTY = settings(max_examples=200, deadline=None)
TIERS = [
    {"min_score": "60", "share_of_base": "0.05"},
    {"min_score": "80", "share_of_base": "0.10"},
    {"min_score": "90", "share_of_base": "0.20"},
]


def candidate(number, score, shares="1", vetoed=False, base_exact="0"):
    return Candidate(
        number=number,
        weighted_shares=D(shares),
        score=D(score),
        vetoed=vetoed,
        base_exact=D(base_exact),
    )


def allocate(policy, pool, candidates, **parameters):
    parameters.setdefault("veto", True)
    return allocate_incentive(
        policy=policy, parameters=parameters, pool=D(pool), candidates=candidates
    )


# --- Proportional to score ------------------------------------------------------------


def test_score_policy_by_hand():
    # Weights 90 : 60 : 50 (Σ 200); shares do not matter under this policy.
    paid = allocate(
        "score",
        "100.00",
        [candidate("A001", 90, "1"), candidate("A002", 60, "3"), candidate("A003", 50, "2")],
    )
    assert paid == {"A001": D("45.00"), "A002": D("30.00"), "A003": D("25.00")}


def test_score_policy_equal_scores_odd_fen_by_household_number():
    paid = allocate(
        "score", "10.00", [candidate("A003", 80), candidate("A001", 80), candidate("A002", 80)]
    )
    assert paid == {"A001": D("3.34"), "A002": D("3.33"), "A003": D("3.33")}


def test_tie_break_is_by_household_number_as_text():
    # Household numbers are text (A001 …): "A010" sorts before "A9". Registers pad them.
    paid = allocate(
        "score", "0.02", [candidate("A9", 80), candidate("B1", 80), candidate("A010", 80)]
    )
    assert paid == {"A010": D("0.01"), "A9": D("0.01"), "B1": D("0.00")}


# --- Proportional to score × shares ------------------------------------------------------


def test_score_shares_policy_by_hand():
    # Weights 90×1 : 60×3 : 50×2 = 90 : 180 : 100 (Σ 370): 24.324…, 48.648…, 27.027…;
    # floors add up to 99.98, the two fen go to the remainders .86 (A002) and .70 (A003).
    paid = allocate(
        "score_shares",
        "100.00",
        [candidate("A001", 90, "1"), candidate("A002", 60, "3"), candidate("A003", 50, "2")],
    )
    assert paid == {"A001": D("24.32"), "A002": D("48.65"), "A003": D("27.03")}
    assert sum(paid.values()) == D("100.00")


def test_score_shares_with_fractional_weighted_shares():
    # 人口股 1.0 and 农龄股 0.5: weighted 2.5 and 1.5, scores 100 and 100 → 250 : 150.
    paid = allocate(
        "score_shares", "80.00", [candidate("A001", 100, "2.5"), candidate("A002", 100, "1.5")]
    )
    assert paid == {"A001": D("50.00"), "A002": D("30.00")}


# --- Threshold and veto ----------------------------------------------------------------


@pytest.mark.parametrize("policy", ["score", "score_shares"])
def test_below_the_minimum_score_nothing_and_the_rest_takes_the_pool(policy):
    candidates = [candidate("A001", 90), candidate("A002", 60), candidate("A003", "59.9")]
    paid = allocate(policy, "100.00", candidates, min_score="60")
    # The threshold is inclusive: 60 is paid, 59.9 is not; 90 : 60 share the whole pool.
    assert paid == {"A001": D("60.00"), "A002": D("40.00"), "A003": D("0")}


def test_min_score_given_as_a_number_or_left_empty():
    candidates = [candidate("A001", 90), candidate("A002", 50)]
    assert allocate("score", "14.00", candidates, min_score=60)["A002"] == 0
    assert allocate("score", "14.00", candidates, min_score="") == {
        "A001": D("9.00"),
        "A002": D("5.00"),
    }
    assert allocate("score", "14.00", candidates, min_score=None)["A002"] == D("5.00")


@pytest.mark.parametrize("policy", ["score", "score_shares"])
def test_a_veto_cancels_the_incentive_and_the_others_share_the_pool(policy):
    candidates = [
        candidate("A001", 120, vetoed=True),
        candidate("A002", 80),
        candidate("A003", 40),
    ]
    paid = allocate(policy, "90.00", candidates)
    assert paid == {"A001": D("0"), "A002": D("60.00"), "A003": D("30.00")}


def test_the_veto_can_be_switched_off_by_the_run():
    candidates = [candidate("A001", 120, vetoed=True), candidate("A002", 80)]
    paid = allocate("score", "100.00", candidates, veto=False)
    assert paid == {"A001": D("60.00"), "A002": D("40.00")}
    assert eligible(candidates[0], {}) is False  # the veto applies unless switched off


@pytest.mark.parametrize("policy", ["score", "score_shares"])
def test_a_zero_score_weighs_nothing_under_the_proportional_policies(policy):
    candidates = [candidate("A001", 0), candidate("A002", "0.1"), candidate("A003", "-5")]
    paid = allocate(policy, "10.00", candidates)
    assert paid == {"A001": D("0"), "A002": D("10.00"), "A003": D("0")}
    assert eligible(candidates[0], {})  # eligible: it is the arithmetic that gives 0


def test_a_zero_score_reaches_a_tier_that_starts_at_zero():
    """Issue 9 finding 6: under `0:0.05` a score of 0 qualifies (it was never paid)."""
    candidates = [
        candidate("A001", 0, base_exact="100"),
        candidate("A002", "-0.5", base_exact="100"),  # below every tier
        candidate("A003", 90, base_exact="100"),
    ]
    paid = allocate(
        "tiers", "100.00", candidates, tiers=[{"min_score": "0", "share_of_base": "0.05"}]
    )
    assert paid == {"A001": D("5.00"), "A002": D("0.00"), "A003": D("5.00")}


def test_tiers_above_the_pool_are_split_by_the_asks_in_fen():
    """Issue 9 finding 5: in proportion to the asks rounded down to the fen (the doc).

    Bases 0.88 × 4/9, 1/9, 4/9 = 0.3911…, 0.0977…, 0.3911… at 5%, 20% and 15% ask
    0.01, 0.01, 0.05 (0.0195…, 0.0195…, 0.0586… unrounded). A pool of 0.02 split 1 : 1 : 5
    is 0.0028…, 0.0028…, 0.0142…: the odd fen to the largest remainder, A003. Split by the
    unrounded asks (1 : 1 : 3) it went to A001 or A002.
    """
    tiers = [
        {"min_score": "60", "share_of_base": "0.05"},
        {"min_score": "85", "share_of_base": "0.15"},
        {"min_score": "90", "share_of_base": "0.2"},
    ]
    bases = {
        number: D("0.88") * shares / 9 for number, shares in (("A001", 4), ("A002", 1), ("A003", 4))
    }
    candidates = [
        candidate("A001", 60, shares="4", base_exact=bases["A001"]),
        candidate("A002", 90, shares="1", base_exact=bases["A002"]),
        candidate("A003", 85, shares="4", base_exact=bases["A003"]),
    ]
    paid = allocate("tiers", "0.02", candidates, tiers=tiers)
    assert paid == {"A001": D("0.00"), "A002": D("0.00"), "A003": D("0.02")}


@pytest.mark.parametrize("policy", ["score", "score_shares", "tiers"])
def test_when_nobody_is_eligible_the_whole_pool_is_the_remainder(policy):
    candidates = [
        candidate("A001", 95, vetoed=True, base_exact="500"),
        candidate("A002", 30, base_exact="500"),
    ]
    paid = allocate(policy, "100.00", candidates, min_score="60", tiers=TIERS)
    assert paid == {"A001": 0, "A002": 0}
    assert D("100.00") - sum(paid.values()) == D("100.00")


# --- Tiers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "share"),
    [
        ("100", "0.20"),
        ("90", "0.20"),
        ("89.9", "0.10"),
        ("80", "0.10"),
        ("60", "0.05"),
        ("59.9", "0"),
    ],
)
def test_tier_share_is_the_highest_tier_reached(score, share):
    assert tier_share(D(score), TIERS) == D(share)
    assert tier_share(D(score), list(reversed(TIERS))) == D(share)  # listing order is irrelevant


# Base pool 2,600.00 over 26 weighted shares: 100.00 a share.
TIER_HOUSEHOLDS = [
    candidate("A001", 95, "10", base_exact="1000"),  # ≥90: 20% of 1000 = 200.00
    candidate("A002", 85, "5", base_exact="500"),  # ≥80: 10% of 500 = 50.00
    candidate("A003", 70, "3", base_exact="300"),  # ≥60: 5% of 300 = 15.00
    candidate("A004", 50, "8", base_exact="800"),  # below every tier: nothing
]


def test_tiers_within_the_pool_pay_what_they_ask_and_the_rest_is_the_remainder():
    paid = allocate("tiers", "1000.00", TIER_HOUSEHOLDS, tiers=TIERS)
    assert paid == {"A001": D("200.00"), "A002": D("50.00"), "A003": D("15.00"), "A004": 0}
    assert D("1000.00") - sum(paid.values()) == D("735.00")  # kept by the cooperative


def test_tiers_exactly_the_pool_pay_as_asked_with_no_remainder():
    paid = allocate("tiers", "265.00", TIER_HOUSEHOLDS, tiers=TIERS)
    assert paid == {"A001": D("200.00"), "A002": D("50.00"), "A003": D("15.00"), "A004": 0}


def test_tiers_above_the_pool_share_the_pool_in_proportion_to_what_they_ask():
    # Asked 265.00 > 100.00. Weights shares × tier share: 2.0 : 0.5 : 0.15 (Σ 2.65) →
    # 75.471…, 18.867…, 5.660…; floors 99.99, the fen goes to the largest remainder (A002).
    paid = allocate("tiers", "100.00", TIER_HOUSEHOLDS, tiers=TIERS)
    assert paid == {"A001": D("75.47"), "A002": D("18.87"), "A003": D("5.66"), "A004": D("0")}
    assert sum(paid.values()) == D("100.00")


def test_tier_amounts_are_rounded_down_to_the_fen():
    # 20% of 333.333… is 66.666…: 66.66 is paid, never a fen more than the tier says.
    paid = allocate(
        "tiers", "1000.00", [candidate("A001", 95, base_exact=D(1000) / 3)], tiers=TIERS
    )
    assert paid == {"A001": D("66.66")}


def test_tiers_with_veto_and_threshold_keep_the_money_as_remainder():
    candidates = [
        candidate("A001", 95, "10", vetoed=True, base_exact="1000"),
        candidate("A002", 85, "5", base_exact="500"),
        candidate("A003", 70, "3", base_exact="300"),
    ]
    paid = allocate("tiers", "1000.00", candidates, tiers=TIERS, min_score="80")
    # A veto and the run's threshold (above the lowest tier) both pay nothing; nothing is
    # redistributed under tiers, it stays with the cooperative.
    assert paid == {"A001": 0, "A002": D("50.00"), "A003": 0}
    assert D("1000.00") - sum(paid.values()) == D("950.00")


def test_tiers_above_the_pool_a_higher_score_in_the_same_tier_never_gets_less():
    # Two households with the same shares in the same tier weigh the same; the odd fen
    # must not go to the lower score just because its household number comes first.
    candidates = [
        candidate("A001", 91, base_exact="100"),
        candidate("A002", 99, base_exact="100"),
    ]
    paid = allocate("tiers", "0.01", candidates, tiers=TIERS)
    assert paid["A002"] >= paid["A001"]
    assert sum(paid.values()) == D("0.01")


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError):
        allocate("lottery", "1.00", [candidate("A001", 90)])


# --- Parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "parameters",
    [
        {"tiers": TIERS},
        {"tiers": list(reversed(TIERS))},  # listed high to low: sorted by min_score
        {"tiers": [{"min_score": 90, "share_of_base": 0.2}]},
        {"tiers": TIERS, "min_score": "60"},
        {"tiers": TIERS + [{"min_score": "100", "share_of_base": "0.20"}]},  # equal is fine
    ],
)
def test_valid_tier_parameters(parameters):
    assert validate_parameters("tiers", parameters) == []


@pytest.mark.parametrize(
    "tiers",
    [
        [],
        None,
        # A higher tier paying a smaller share: a higher score would be paid less.
        [
            {"min_score": "80", "share_of_base": "0.20"},
            {"min_score": "90", "share_of_base": "0.10"},
        ],
        [{"min_score": "90", "share_of_base": "-0.1"}],
        [{"min_score": "90"}],
        [{"share_of_base": "0.2"}],
        [{"min_score": "ninety", "share_of_base": "0.2"}],
        [{"min_score": "90", "share_of_base": "NaN"}],
        [{"min_score": "90", "share_of_base": "Infinity"}],
        [{"min_score": "NaN", "share_of_base": "0.2"}],
        ["90:0.2"],
        {"min_score": "90", "share_of_base": "0.2"},
    ],
)
def test_invalid_tiers_are_rejected(tiers):
    assert "tiers" in validate_parameters("tiers", {"tiers": tiers})


@pytest.mark.parametrize("min_score", ["-1", "abc", "NaN", "Infinity"])
def test_invalid_min_score_is_rejected(min_score):
    for policy in ("score", "score_shares", "tiers"):
        assert "min_score" in validate_parameters(policy, {"min_score": min_score, "tiers": TIERS})


@pytest.mark.parametrize("policy", ["score", "score_shares"])
def test_proportional_policies_need_no_tiers(policy):
    assert validate_parameters(policy, {}) == []
    assert validate_parameters(policy, {"min_score": "60", "veto": False}) == []


# --- Properties --------------------------------------------------------------------------

# Few distinct share counts and scores on a coarse grid, so that households with the
# same shares (and the same or nearby scores) come up often.
SHARES = [D("1"), D("2"), D("2.5"), D("3"), D("0.75"), D("6")]
scores = st.one_of(
    st.integers(min_value=0, max_value=24).map(lambda n: D(n * 5)),
    st.decimals(min_value=0, max_value=120, places=1),
)


@st.composite
def tier_tables(draw):
    """A valid table: min scores strictly rising, shares never falling."""
    count = draw(st.integers(min_value=1, max_value=4))
    minimums = sorted(
        draw(st.sets(st.integers(min_value=0, max_value=120), min_size=count, max_size=count))
    )
    shares = sorted(
        draw(
            st.lists(
                st.decimals(min_value=0, max_value=D("0.5"), places=2),
                min_size=count,
                max_size=count,
            )
        )
    )
    tiers = [
        {"min_score": str(minimum), "share_of_base": str(share)}
        for minimum, share in zip(minimums, shares, strict=True)
    ]
    return draw(st.permutations(tiers))


@st.composite
def runs(draw):
    """A random run: policy, parameters, pools and households (numbers unique)."""
    policy = draw(st.sampled_from(["score", "score_shares", "tiers"]))
    parameters = {"veto": draw(st.booleans())}
    if draw(st.booleans()):
        parameters["min_score"] = str(draw(st.integers(min_value=0, max_value=110)))
    if policy == "tiers":
        parameters["tiers"] = draw(tier_tables())
    rows = draw(
        st.lists(st.tuples(st.sampled_from(SHARES), scores, st.booleans()), min_size=0, max_size=40)
    )
    base_pool = draw(st.decimals(min_value=0, max_value=10**7, places=2))
    pool = draw(
        st.one_of(
            st.decimals(min_value=0, max_value=D("1.00"), places=2),  # tiers above the pool
            st.decimals(min_value=0, max_value=10**7, places=2),
        )
    )
    total_shares = sum((shares for shares, _, _ in rows), D("0"))
    candidates = [
        Candidate(
            number=f"H{index:04d}",
            weighted_shares=shares,
            score=score,
            vetoed=vetoed,
            # As the computation does it: the exact, unrounded base.
            base_exact=base_pool * shares / total_shares,
        )
        for index, (shares, score, vetoed) in enumerate(rows, start=1)
    ]
    return policy, parameters, pool, candidates


@PROPERTY
@given(run=runs(), data=st.data())
def test_incentive_properties(run, data):
    policy, parameters, pool, candidates = run
    assert validate_parameters(policy, parameters) == []
    paid = allocate_incentive(
        policy=policy, parameters=parameters, pool=pool, candidates=candidates
    )

    assert set(paid) == {c.number for c in candidates}
    # Exact money: never negative, two places, never more than the pool.
    assert all(amount >= 0 for amount in paid.values())
    assert all(amount.as_tuple().exponent == -2 for amount in paid.values())
    paid_total = sum(paid.values(), D("0"))
    remainder = pool - paid_total
    assert remainder >= 0
    # Whoever is not eligible (vetoed, below the threshold) gets nothing; under the
    # proportional policies a score of 0 weighs nothing.
    for c in candidates:
        if not eligible(c, parameters) or (policy != "tiers" and c.score <= 0):
            assert paid[c.number] == 0
    if policy in ("score", "score_shares"):
        # Proportional policies pay the whole pool unless no eligible household scored.
        anyone = any(eligible(c, parameters) and c.score > 0 for c in candidates)
        assert remainder == (0 if anyone else pool)
    else:
        for c in candidates:
            assert paid[c.number] <= (c.base_exact * tier_share(c.score, parameters["tiers"]))

    # Monotonicity: with the same weighted shares (and the same veto), a higher score
    # never gets less incentive.
    for a in candidates:
        for b in candidates:
            if (
                a.weighted_shares == b.weighted_shares
                and a.vetoed == b.vetoed
                and a.score > b.score
            ):
                assert paid[a.number] >= paid[b.number], (a, b, paid)

    # Deterministic: the order the register comes in changes nothing.
    shuffled = data.draw(st.permutations(candidates))
    again = allocate_incentive(policy=policy, parameters=parameters, pool=pool, candidates=shuffled)
    assert again == paid


@PROPERTY
@given(
    total=st.decimals(min_value=0, max_value=10**8, places=2),
    rows=st.lists(st.tuples(st.sampled_from(SHARES), scores), min_size=1, max_size=40),
    policy=st.sampled_from(["score", "score_shares"]),
)
def test_base_and_proportional_incentive_add_up_to_the_total(total, rows, policy):
    """The lines of a run: Σ base == B, Σ incentive == I, Σ (base + incentive) == T."""
    base_pool = (total / D("1.2")).quantize(D("0.01"))
    incentive_pool = total - base_pool
    numbers = [f"H{index:04d}" for index in range(len(rows))]
    base = split_by_weights(base_pool, list(zip(numbers, (s for s, _ in rows), strict=True)))
    candidates = [
        Candidate(number=number, weighted_shares=shares, score=score, vetoed=False)
        for number, (shares, score) in zip(numbers, rows, strict=True)
    ]
    incentive = allocate_incentive(
        policy=policy, parameters={}, pool=incentive_pool, candidates=candidates
    )
    assert sum(base.values()) == base_pool
    if any(score > 0 for _, score in rows):
        assert sum(base[n] + incentive[n] for n in numbers) == total


@PROPERTY
@given(
    policy=st.sampled_from(["score", "score_shares", "tiers"]),
    tiers=tier_tables(),
    rows=st.lists(
        st.tuples(st.sampled_from([D("1"), D("2")]), st.integers(min_value=0, max_value=24)),
        min_size=2,
        max_size=8,
    ),
    pool=st.decimals(min_value=0, max_value=D("0.20"), places=2),
)
def test_a_higher_score_never_gets_less_with_few_households_and_a_few_fen(
    policy, tiers, rows, pool
):
    """Where the odd fen decides: few households, two share counts, small pools."""
    total_shares = sum((shares for shares, _ in rows), D("0"))
    candidates = [
        Candidate(
            number=f"H{index:04d}",
            weighted_shares=shares,
            score=D(step * 5),
            vetoed=False,
            base_exact=D("1000.00") * shares / total_shares,
        )
        for index, (shares, step) in enumerate(rows, start=1)
    ]
    paid = allocate_incentive(
        policy=policy, parameters={"tiers": tiers}, pool=pool, candidates=candidates
    )
    for a in candidates:
        for b in candidates:
            if a.weighted_shares == b.weighted_shares and a.score > b.score:
                assert paid[a.number] >= paid[b.number], (a, b, paid)


@PROPERTY
@given(
    minimums=st.lists(st.integers(min_value=0, max_value=120), min_size=1, max_size=5, unique=True),
    shares=st.lists(st.decimals(min_value=0, max_value=1, places=2), min_size=5, max_size=5),
    data=st.data(),
)
def test_tier_validation_accepts_exactly_the_tables_that_never_pay_less_for_more(
    minimums, shares, data
):
    tiers = [
        {"min_score": str(minimum), "share_of_base": str(share)}
        for minimum, share in zip(minimums, shares, strict=False)
    ]
    listed = data.draw(st.permutations(tiers))
    by_score = [D(t["share_of_base"]) for t in sorted(tiers, key=lambda t: int(t["min_score"]))]
    valid = by_score == sorted(by_score)
    assert (validate_parameters("tiers", {"tiers": listed}) == []) is valid
    if valid:
        # A valid table: the share never falls as the score rises.
        paid = [tier_share(D(score), listed) for score in range(0, 121)]
        assert paid == sorted(paid)
