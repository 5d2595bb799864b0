"""Deductions and approved dividend lines of the `world` households, to appeal on."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from communities.models import ScoreEvent
from dividends.models import DividendLine, DividendRun
from tests.communities import conftest as scoring_fixtures

YEAR = scoring_fixtures.YEAR
# The published standard and items of the communities tests, for the `world` households.
standard = scoring_fixtures.standard
items = scoring_fixtures.items

APPROVED_ON = date(YEAR + 1, 2, 1)


def deduction(world, household, item, points="-3", day=date(YEAR, 7, 1), community=None, **extra):
    return ScoreEvent.objects.create(
        household=household,
        item=item,
        points=Decimal(points),
        occurred_on=day,
        community=community or household.community,
        entered_by=world.staff_east if household.community == world.east else world.staff_west,
        note="门口堆放杂物",
        **extra,
    )


def approved_run(world, cooperative, year=YEAR, approved_on=APPROVED_ON):
    accountant = world.accountant_a if cooperative == world.coop_a else world.accountant_b
    return DividendRun.objects.create(
        cooperative=cooperative,
        year=year,
        record_date=date(year, 12, 31),
        total=Decimal("1000.00"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),
        base_pool=Decimal("800.00"),
        incentive_pool=Decimal("200.00"),
        policy=DividendRun.Policy.SCORE,
        status=DividendRun.Status.APPROVED,
        household_count=2,
        incentive_paid=Decimal("150.00"),
        remainder=Decimal("50.00"),
        created_by=accountant,
        approved_by=world.supervisor_a if cooperative == world.coop_a else world.supervisor_b,
        approved_at=timezone.make_aware(
            datetime.combine(approved_on, datetime.min.time().replace(hour=10))
        ),
    )


def line(run, household, base="400.00", incentive="100.00", score="91.0"):
    return DividendLine.objects.create(
        run=run,
        household=household,
        household_number=household.number,
        head_name=household.head_name,
        head_id_number_masked="330482********1234",
        community_name=household.community.name,
        bank_name="农商银行",
        bank_account="6228480011112222333",
        shares={"人口股": "3"},
        weighted_shares=Decimal("3"),
        score=Decimal(score),
        base_amount=Decimal(base),
        incentive_amount=Decimal(incentive),
        total_amount=Decimal(base) + Decimal(incentive),
    )


@pytest.fixture
def wrong_deduction(world, items):
    return deduction(world, world.a_east, items["litter"])


@pytest.fixture
def run_a(world):
    return approved_run(world, world.coop_a)
