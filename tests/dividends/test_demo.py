from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from django.db.models import Sum

from communities.demo import PREVIOUS_YEAR, YEAR
from dividends.models import DividendRun
from tests.conftest import seeded_once

# The demo is seeded once for this module (issue 21, point 7); each test rolls back its own.
demo = seeded_once(lambda: call_command("seed_demo", "--small", stdout=StringIO()))


def test_seed_demo_reproduces_tongjie_2019_and_is_idempotent(demo, db):
    run = DividendRun.objects.get(cooperative__code="TONGJIE", year=2019)
    assert run.status == DividendRun.Status.APPROVED
    assert run.total == Decimal("561600.00")
    assert run.base_pool == Decimal("468000.00")
    assert run.incentive_pool == Decimal("93600.00")
    sums = run.lines.aggregate(base=Sum("base_amount"), incentive=Sum("incentive_amount"))
    assert sums["base"] == Decimal("468000.00")
    assert sums["incentive"] + run.remainder == Decimal("93600.00")

    runs = DividendRun.objects.count()
    call_command("seed_demo", "--small")
    assert DividendRun.objects.count() == runs


def test_seed_demo_has_last_years_run_prepared_and_signed_by_two_people(demo, db):
    runs = DividendRun.objects.filter(cooperative__code="TONGJIE").order_by("year")
    assert [(run.year, run.status) for run in runs] == [
        (2019, DividendRun.Status.APPROVED),
        (PREVIOUS_YEAR, DividendRun.Status.APPROVED),
    ]
    assert PREVIOUS_YEAR == YEAR - 1  # the year before the demo's current year
    for run in runs:
        assert run.created_by.username == "accountant_tongjie"
        assert run.approved_by.username == "supervisor_tongjie"
    last_year = runs.get(year=PREVIOUS_YEAR)
    assert (last_year.total, last_year.base_pool, last_year.incentive_pool) == (
        Decimal("600000.00"),
        Decimal("500000.00"),
        Decimal("100000.00"),
    )
    sums = last_year.lines.aggregate(base=Sum("base_amount"), incentive=Sum("incentive_amount"))
    assert sums["base"] == last_year.base_pool
    assert sums["incentive"] + last_year.remainder == last_year.incentive_pool
    # Its scores come from a year of 2025 events, not only the base points.
    assert len(set(last_year.lines.values_list("score", flat=True))) > 1
