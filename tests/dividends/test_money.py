"""The money helper and the pools: exact Decimal yuan, split to the fen (no database)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from dividends.models import DividendRun
from dividends.money import floor_fen, higher_score_first, split_by_weights, to_fen
from dividends.services import INCENTIVE_CEILING, exceeds_ceiling, incentive_ceiling, pools

D = Decimal
Mode = DividendRun.IncentiveMode
PROPERTY = settings(max_examples=200, deadline=None)


def numbered(weights):
    """[(household number, weight)] with zero-padded numbers, as the register has them."""
    return [(f"H{index:04d}", D(weight)) for index, weight in enumerate(weights, start=1)]


# --- Rounding -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0.005", "0.01"),  # half up, as on a bank slip
        ("0.0049", "0.00"),
        ("2.675", "2.68"),  # Decimal is exact: no binary 2.67499…
        ("134.0974", "134.10"),
        ("-0.005", "-0.01"),
        ("7", "7.00"),
    ],
)
def test_to_fen_rounds_half_up(amount, expected):
    result = to_fen(D(amount))
    assert result == D(expected)
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("amount", "expected"), [("1.999", "1.99"), ("0.009", "0.00"), ("66.6666", "66.66")]
)
def test_floor_fen_rounds_down(amount, expected):
    assert floor_fen(D(amount)) == D(expected)


# --- Largest remainder, by hand -----------------------------------------------------


def test_equal_weights_the_odd_fen_goes_to_the_lowest_household_number():
    parts = split_by_weights(D("100.00"), [("H003", 1), ("H001", 1), ("H002", 1)])
    assert parts == {"H001": D("33.34"), "H002": D("33.33"), "H003": D("33.33")}


def test_two_fen_over_three_equal_households():
    parts = split_by_weights(D("0.02"), [("H002", 5), ("H003", 5), ("H001", 5)])
    assert parts == {"H001": D("0.01"), "H002": D("0.01"), "H003": D("0.00")}


def test_the_largest_remainder_wins_before_the_household_number():
    # 1.00 over 1:2 is 0.333… and 0.666…: floors 0.33 + 0.66, the fen left goes to H002.
    parts = split_by_weights(D("1.00"), [("H001", 1), ("H002", 2)])
    assert parts == {"H001": D("0.33"), "H002": D("0.67")}


def test_hand_computed_split_with_three_remainders():
    # 100.00 over 90 : 180 : 100 (Σ 370): 24.324…, 48.648…, 27.027…
    # floors 24.32 + 48.64 + 27.02 = 99.98; the two fen go to remainders .86 (H002), .70 (H003).
    parts = split_by_weights(D("100.00"), [("H001", 90), ("H002", 180), ("H003", 100)])
    assert parts == {"H001": D("24.32"), "H002": D("48.65"), "H003": D("27.03")}


def test_decimal_weights_of_different_precision_keep_their_exact_ratios():
    # 0.5 : 1.25 : 2 = 2 : 5 : 8 (Σ 15); 15.00 splits exactly.
    parts = split_by_weights(D("15.00"), [("A", D("0.5")), ("B", D("1.25")), ("C", D("2"))])
    assert parts == {"A": D("2.00"), "B": D("5.00"), "C": D("8.00")}


def test_tongjie_base_pool_over_698_equal_households():
    # 46,800,000 fen ÷ 698 = 67,048 fen and 496 fen left: 496 households get 670.49,
    # the other 202 get 670.48, the first 496 by household number.
    parts = split_by_weights(D("468000.00"), numbered([1] * 698))
    assert sum(parts.values()) == D("468000.00")
    numbers = sorted(parts)
    assert {parts[number] for number in numbers[:496]} == {D("670.49")}
    assert {parts[number] for number in numbers[496:]} == {D("670.48")}


def test_zero_weights_get_zero_and_the_rest_takes_the_whole_total():
    parts = split_by_weights(D("10.00"), [("H001", 0), ("H002", 3), ("H003", 0), ("H004", 1)])
    assert parts == {"H001": D("0"), "H002": D("7.50"), "H003": D("0"), "H004": D("2.50")}


def test_all_zero_weights_pay_nothing():
    # The caller reports what is not paid (the remainder); the helper never invents weights.
    assert split_by_weights(D("10.00"), [("H001", 0), ("H002", 0)]) == {
        "H001": D("0.00"),
        "H002": D("0.00"),
    }


def test_empty_list_and_zero_total():
    assert split_by_weights(D("10.00"), []) == {}
    assert split_by_weights(D("0"), [("H001", 1), ("H002", 2)]) == {
        "H001": D("0.00"),
        "H002": D("0.00"),
    }


def test_total_is_taken_to_the_fen_first():
    parts = split_by_weights(D("10.005"), [("H001", 1), ("H002", 1)])
    assert sum(parts.values()) == D("10.01")


def test_negative_amounts_are_refused():
    with pytest.raises(ValueError):
        split_by_weights(D("-0.01"), [("H001", 1)])
    with pytest.raises(ValueError):
        split_by_weights(D("1.00"), [("H001", 1), ("H002", -1)])


def test_equal_remainders_go_to_the_higher_score_then_the_lower_number():
    """Issue 9 finding 2: the doc's tie-break, for the base split as for the incentive."""
    scores = {"H001": D("81"), "H002": D("86"), "H003": D("86"), "H004": D("90")}
    parts = split_by_weights(
        D("0.02"), [(number, 1) for number in scores], tie_break=higher_score_first(scores)
    )
    # 0.005 each: the two fen to 90, then to 86 with the lower number.
    assert parts == {"H001": D("0"), "H002": D("0.01"), "H003": D("0"), "H004": D("0.01")}


@PROPERTY
@given(
    total=st.decimals(min_value=0, max_value=D("2.00"), places=2),
    rows=st.lists(
        st.tuples(st.sampled_from([D("1"), D("2"), D("0.5")]), st.integers(0, 120)),
        min_size=1,
        max_size=12,
    ),
)
def test_a_higher_score_never_gets_a_smaller_base_for_the_same_shares(total, rows):
    weighted = numbered(shares for shares, _ in rows)
    scores = {number: D(score) for (number, _), (_, score) in zip(weighted, rows, strict=True)}
    parts = split_by_weights(total, weighted, tie_break=higher_score_first(scores))
    for a, a_shares in weighted:
        for b, b_shares in weighted:
            if a_shares == b_shares and scores[a] > scores[b]:
                assert parts[a] >= parts[b]


# --- Largest remainder, properties ---------------------------------------------------

totals = st.decimals(min_value=0, max_value=10**9, places=2)
weights = st.one_of(
    st.just(D("0")),
    st.decimals(min_value=0, max_value=10**6, places=4),
    st.integers(min_value=0, max_value=50).map(D),
)


@PROPERTY
@given(total=totals, weight_list=st.lists(weights, max_size=60), data=st.data())
def test_split_adds_up_exactly_is_fair_and_deterministic(total, weight_list, data):
    weighted = numbered(weight_list)
    parts = split_by_weights(total, weighted)
    weight_sum = sum((weight for _, weight in weighted), D("0"))

    assert set(parts) == {number for number, _ in weighted}
    assert all(part >= 0 and part.as_tuple().exponent == -2 for part in parts.values())
    if weight_sum:
        assert sum(parts.values()) == total
    else:
        assert sum(parts.values()) == 0
    for number, weight in weighted:
        if weight == 0:
            assert parts[number] == 0
        else:
            # Largest remainder: never more than one fen off the exact share.
            assert abs(parts[number] - total * weight / weight_sum) < D("0.01")
    # A larger weight never gets less.
    ordered = sorted(weighted, key=lambda pair: pair[1])
    for (low, low_weight), (high, high_weight) in zip(ordered, ordered[1:], strict=False):
        if high_weight > low_weight:
            assert parts[high] >= parts[low]
    # The order the households come in changes nothing.
    shuffled = data.draw(st.permutations(weighted))
    assert split_by_weights(total, shuffled) == parts


# --- Pools --------------------------------------------------------------------------


def test_tongjie_2019_pools():
    base, incentive = pools(
        total=D("561600.00"), incentive_mode=Mode.RATIO_OF_BASE, incentive_value=D("0.2")
    )
    assert (base, incentive) == (D("468000.00"), D("93600.00"))
    assert incentive == base * D("0.2")  # 20% of the base …
    assert incentive * 6 == base + incentive  # … one sixth of the total


@pytest.mark.parametrize(
    ("mode", "value", "expected"),
    [
        (Mode.RATIO_OF_BASE, "0.2", ("833.33", "166.67")),  # 1000 ÷ 1.2 = 833.333…
        (Mode.SHARE_OF_TOTAL, "0.15", ("850.00", "150.00")),
        (Mode.SHARE_OF_TOTAL, "0.1235", ("876.50", "123.50")),
        (Mode.FIXED, "100.01", ("899.99", "100.01")),
        (Mode.FIXED, "1000", ("0.00", "1000.00")),
        (Mode.RATIO_OF_BASE, "0", ("1000.00", "0.00")),  # 1.0: dividend by shares only
    ],
)
def test_pools_by_hand(mode, value, expected):
    assert pools(total=D("1000.00"), incentive_mode=mode, incentive_value=D(value)) == tuple(
        map(D, expected)
    )


@pytest.mark.parametrize(
    ("total", "mode", "value"),
    [
        ("-1", Mode.RATIO_OF_BASE, "0.2"),
        ("100", Mode.RATIO_OF_BASE, "-0.2"),
        ("100", Mode.SHARE_OF_TOTAL, "1.01"),
        ("100", Mode.FIXED, "100.01"),
        ("100", "bogus", "0.2"),
        # Issue 9 finding 3: nothing is rounded silently (the API refused these already).
        ("100.001", Mode.RATIO_OF_BASE, "0.2"),
        ("100", Mode.FIXED, "10.005"),
        ("100", Mode.RATIO_OF_BASE, "0.123456"),
        ("100", Mode.SHARE_OF_TOTAL, "0.12345"),
        ("1000000000000", Mode.RATIO_OF_BASE, "0.2"),  # does not fit the column
    ],
)
def test_impossible_pools_are_refused(total, mode, value):
    with pytest.raises(ValidationError):
        pools(total=D(total), incentive_mode=mode, incentive_value=D(value))


@PROPERTY
@given(
    total=totals,
    mode=st.sampled_from(list(Mode)),
    ratio=st.decimals(min_value=0, max_value=1, places=4),
    fixed_share=st.decimals(min_value=0, max_value=1, places=6),
)
def test_pools_add_up_to_the_total(total, mode, ratio, fixed_share):
    value = to_fen(total * fixed_share) if mode == Mode.FIXED else ratio
    base, incentive = pools(total=total, incentive_mode=mode, incentive_value=value)
    assert base + incentive == total
    assert base >= 0 and incentive >= 0
    assert base.as_tuple().exponent == incentive.as_tuple().exponent == -2
    if mode == Mode.RATIO_OF_BASE:
        # I = r × B, up to the rounding of B to the fen.
        assert abs(incentive - ratio * base) <= D("0.01") * (1 + ratio)


def test_the_published_ceiling_is_a_fifth_of_the_total():
    assert INCENTIVE_CEILING == D("0.20")


@pytest.mark.parametrize(
    ("total", "pool", "exceeds"),
    [
        ("0.03", "0.01", True),  # 33%: 20% of 0.03 is 0.006, not 0.01
        ("99999999.99", "20000000.00", True),  # 20% is 19,999,999.998
        ("99999999.99", "19999999.99", False),
        ("1200.00", "240.00", False),  # exactly 20%
        ("1200.00", "240.01", True),
        ("0.05", "0.01", False),
    ],
)
def test_the_ceiling_is_compared_exactly(total, pool, exceeds):
    """Issue 9 finding 4: with 20% of the total itself, not rounded to the fen."""
    assert exceeds_ceiling(total=D(total), incentive_pool=D(pool)) is exceeds
    # The largest pool in fen allowed: one fen more exceeds.
    ceiling = incentive_ceiling(D(total))
    assert not exceeds_ceiling(total=D(total), incentive_pool=ceiling)
    assert exceeds_ceiling(total=D(total), incentive_pool=ceiling + D("0.01"))
