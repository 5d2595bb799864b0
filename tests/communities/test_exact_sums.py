"""Every points aggregate the product shows or pays on, against an exact Decimal sum.

Issue 9 finding 1: SQLite sums decimals as binary floating point, so the one-decimal events
−3.3, +5.1, −1.3, −1.1, +0.6 added up to −3.3e-16 and a score of 80 became 79.99999999999999967
in the dividend. Hypothesis generates one-decimal events and checks the annual score, the
monthly chart, the batch page's month and year figures, the point card, the household list,
the caps and the dividend's score. Runs on SQLite and, with DATABASE_URL set, on PostgreSQL.
"""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import DecimalField
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.models import User
from communities import selectors
from communities.models import ScoreEvent
from communities.services import _cap_usage
from dividends import services as dividends
from dividends.models import DividendRun
from overview.card_selectors import point_card
from villages.models import Household

D = Decimal
YEAR = 2026
MONTHS = 12

one_decimal_points = (
    st.integers(min_value=-300, max_value=300).filter(bool).map(lambda tenths: D(tenths) / 10)
)
# (month, points, counts): an event that does not count waits for review.
events = st.lists(
    st.tuples(st.integers(min_value=1, max_value=MONTHS), one_decimal_points, st.booleans()),
    max_size=25,
)
ISSUE_EXAMPLE = [(5, D(points), True) for points in ("-3.3", "5.1", "-1.3", "-1.1", "0.6")]


def write_events(household, items, rows, staff):
    for month, points, counts in rows:
        ScoreEvent.objects.create(
            household=household,
            item=items["clean"] if points > 0 else items["litter"],
            points=points,
            occurred_on=date(YEAR, month, 10),
            community=household.community,
            entered_by=staff,
            needs_review=not counts,
        )


def expected_figures(standard, rows):
    """The exact figures, in Python Decimal, of one household's events."""
    counting = [(month, points) for month, points, counts in rows if counts]
    by_month = {month: sum(p for m, p in counting if m == month) for month, _ in counting}
    total = sum((points for _, points in counting), D("0"))
    running, series = standard.base_points, []
    for month in range(1, MONTHS + 1):
        running += by_month.get(month, D("0"))
        series.append(standard.clip(running))
    return {
        "total": total,
        "score": standard.clip(standard.base_points + total),
        "by_month": by_month,
        "series": series,
    }


def assert_exact(actual, expected):
    """Equal and with one decimal place at most (no float residue such as 1E-16)."""
    assert actual == expected, (actual, expected)
    assert actual.as_tuple().exponent >= -1, actual


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=events, second=events)
@example(first=ISSUE_EXAMPLE, second=[])
@pytest.mark.django_db
def test_every_points_aggregate_is_the_exact_decimal_sum(world, items, standard, first, second):
    staff = User.objects.get(username="staff_east")
    households = [world.a_east, world.a_west]
    with transaction.atomic():
        for household, rows in zip(households, (first, second), strict=True):
            write_events(household, items, rows, staff)
        expected = {
            household.pk: expected_figures(standard, rows)
            for household, rows in zip(households, (first, second), strict=True)
        }
        queryset = Household.objects.filter(pk__in=[h.pk for h in households])

        # The annual score: one household, many, the whole cooperative (the dividend's read).
        totals = selectors.event_totals(household_ids=list(expected), year=YEAR)
        annual = selectors.annual_scores(households=queryset, year=YEAR)
        cooperative, _ = selectors.cooperative_scores(cooperative=world.coop_a, year=YEAR)
        # The household list's score, set on a page of households.
        listed = {h.pk: h.annual_score for h in selectors.with_annual_scores(queryset, year=YEAR)}
        for household in households:
            figures = expected[household.pk]
            assert_exact(totals.get(household.pk, D("0")), figures["total"])
            assert_exact(annual[household.pk], figures["score"])
            assert_exact(listed[household.pk], figures["score"])
            assert_exact(cooperative[household.pk], figures["score"])
            assert_exact(
                selectors.household_annual_score(household=household, year=YEAR), figures["score"]
            )

        # The monthly chart (美丽积分图) and the month sums behind it.
        monthly = selectors.monthly_points(household_ids=list(expected), year=YEAR)
        series = selectors.monthly_scores(households=queryset, year=YEAR)
        rows, _, _, _ = selectors.points_chart_rows(
            households=queryset, year=YEAR, through_month=MONTHS, threshold=D("60"), months=3
        )
        chart = {row["household"].pk: [cell["score"] for cell in row["cells"]] for row in rows}
        for household in households:
            figures = expected[household.pk]
            for month, points in figures["by_month"].items():
                assert_exact(monthly[household.pk][month], points)
            for actual, wanted in zip(series[household.pk], figures["series"], strict=True):
                assert_exact(actual, wanted)
            assert chart[household.pk] == figures["series"]

        # The batch page's figures for every month: the month's points and the year's score.
        for month in range(1, MONTHS + 1):
            table = selectors.batch_table(households=households, month=date(YEAR, month, 1))
            for household in households:
                figures = expected[household.pk]
                assert_exact(
                    table.month_points_of(household), figures["by_month"].get(month, D("0"))
                )
                assert_exact(table.year_scores[household.pk], figures["score"])

        # The point card (股东积分卡).
        for household in households:
            figures = expected[household.pk]
            card = point_card(household=household, year=YEAR, through_month=MONTHS)
            assert_exact(card.total, figures["total"])
            assert_exact(card.score, figures["score"])
            assert card.own_series == figures["series"]
            for month, points in figures["by_month"].items():
                assert_exact(card.points_by_month[month], points)

        # The caps: what the entry rules count as used (every event not rejected).
        used_year, _ = _cap_usage(
            pairs=[(h.pk, item.pk) for h in households for item in items.values()],
            years=[YEAR],
            months=list(range(1, MONTHS + 1)),
        )
        for household, rows in zip(households, (first, second), strict=True):
            for item, sign in ((items["clean"], 1), (items["litter"], -1)):
                wanted = sum((p for _, p, _ in rows if (p > 0) == (sign > 0)), D("0"))
                assert_exact(used_year.get((household.pk, item.pk, YEAR), D("0")), wanted)

        # The dividend: the score on each line is the exact one.
        run = dividends.dividend_run_create(
            actor=world.accountant_a,
            cooperative=world.coop_a,
            year=YEAR,
            total=D("1200.00"),
            incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
            incentive_value=D("0.2"),
            policy=DividendRun.Policy.SCORE,
        )
        lines = dividends.compute_lines(run=run)
        for line in lines:
            assert line.score == expected[line.household_id]["score"]
            assert line.score.as_tuple().exponent >= -1, line.score
        transaction.set_rollback(True)


def test_every_sum_of_a_decimal_column_goes_through_exact_sum():
    """The root of finding 1 stays in one place: no plain Sum of a decimal column."""
    decimal_columns = {
        field.name
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, DecimalField)
    }
    offending = []
    for app in ("accounts", "communities", "dividends", "villages", "pinghu_points"):
        for path in sorted((Path(django_settings.BASE_DIR) / app).rglob("*.py")):
            for name in re.findall(r"(?<![\w.])Sum\(\s*[\"']([\w_]+)", path.read_text()):
                if name.split("__")[-1] in decimal_columns:
                    offending.append(f"{path.name}: Sum({name!r})")
    assert offending == []
