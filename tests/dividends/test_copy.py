"""On PostgreSQL large runs write their lines with COPY; it must write exactly what
bulk_create writes. CI runs this on PostgreSQL; on SQLite it is skipped."""

from decimal import Decimal

import pytest
from django.db import connection

from dividends import run_jobs, services
from dividends.models import DividendRun
from tests import factories

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the COPY path exists only on PostgreSQL"
)

COLUMNS = [
    "household_id",
    "household_number",
    "head_name",
    "head_id_number_masked",
    "community_name",
    "bank_name",
    "bank_account",
    "shares",
    "weighted_shares",
    "score",
    "vetoed",
    "base_amount",
    "incentive_amount",
    "total_amount",
]


def _computed_run(world):
    run = services.dividend_run_create(
        actor=world.accountant_a,
        cooperative=world.coop_a,
        year=2026,
        total=Decimal("12345.67"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),
        policy=DividendRun.Policy.SCORE_SHARES,
    )
    return run_jobs.dividend_run_compute(run_id=run.pk)


def test_copy_writes_the_same_lines_as_bulk_create(world, standard, monkeypatch):
    # Names and accounts with characters COPY must escape.
    for number, name in [("A100", "王\t建国"), ("A101", "李\\秀英"), ("A102", "陈\n志强")]:
        factories.household(
            cooperative_=world.coop_a,
            community_=world.east,
            number=number,
            head_name=name,
            bank_account="6228480011112222333",
            shares={"RK": "2.5"},
        )
    monkeypatch.setattr(run_jobs, "COPY_MIN_LINES", 10**9)
    by_orm = _computed_run(world)
    monkeypatch.setattr(run_jobs, "COPY_MIN_LINES", 1)
    by_copy = _computed_run(world)

    assert by_copy.status == DividendRun.Status.COMPUTED, by_copy.error
    orm_lines = list(by_orm.lines.order_by("household_number").values(*COLUMNS))
    copy_lines = list(by_copy.lines.order_by("household_number").values(*COLUMNS))
    assert len(copy_lines) == 5
    assert copy_lines == orm_lines
