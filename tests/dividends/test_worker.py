"""The dividend job through a real Celery worker on the broker (CI: Redis + PostgreSQL).

Skipped without CELERY_BROKER_URL. The worker is another process: the rows it reads
must be committed, hence `transaction=True`.
"""

import time
from decimal import Decimal

import pytest
from celery.result import AsyncResult, EagerResult

from accounts.models import AuditRecord
from communities.models import ScoreEvent
from dividends import services
from dividends.models import DividendRun
from dividends.tasks import compute_dividend_run
from tests import factories

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

D = Decimal
HOUSEHOLDS = 120


def test_the_dividend_run_is_computed_by_the_worker(world, items, celery_worker_process):
    # COOPA: A001 (3 shares), A002 (2) and 120 more households of 1–4 shares.
    for n in range(HOUSEHOLDS):
        household = factories.household(
            cooperative_=world.coop_a,
            community_=world.east,
            number=f"W{n:04d}",
            shares={"RK": 1 + n % 4},
        )
        if n % 3 == 0:
            ScoreEvent.objects.create(
                household=household,
                item=items["clean"],
                points=D(5),
                occurred_on=items["clean"].standard.adoptions.first().meeting_date,
                community=world.east,
                entered_by=world.staff_east,
            )
    ScoreEvent.objects.create(
        household=world.a_east,
        item=items["crime"],
        points=D(-20),
        occurred_on=items["crime"].standard.adoptions.first().meeting_date,
        community=world.east,
        entered_by=world.staff_east,
    )
    run = services.dividend_run_create(
        actor=world.accountant_a,
        cooperative=world.coop_a,
        year=items["clean"].standard.year,
        total=D("99999.99"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=D("0.2"),
        policy=DividendRun.Policy.SCORE_SHARES,
    )

    result = compute_dividend_run.delay(run.pk)

    assert isinstance(result, AsyncResult) and not isinstance(result, EagerResult)
    # Poll the row the pages poll, as a browser would, until the worker is done.
    seen = []
    deadline = time.monotonic() + 120
    while not result.ready() and time.monotonic() < deadline:
        seen.append(DividendRun.objects.values_list("progress", flat=True).get(pk=run.pk))
        time.sleep(0.02)
    outcome = result.get(timeout=120)
    assert outcome == {"run": run.pk, "status": DividendRun.Status.COMPUTED, "progress": 100}
    assert seen == sorted(seen), seen  # progress never goes backwards
    assert celery_worker_process.wait_for_log(result.id), celery_worker_process.log()

    run.refresh_from_db()
    assert (run.status, run.progress, run.error) == (DividendRun.Status.COMPUTED, 100, "")
    assert run.household_count == HOUSEHOLDS + 2
    lines = list(run.lines.all())
    assert len(lines) == run.household_count
    assert sum(line.base_amount for line in lines) == run.base_pool == D("83333.33")
    assert sum(line.incentive_amount for line in lines) == run.incentive_paid
    assert run.incentive_paid + run.remainder == run.incentive_pool == D("16666.66")
    assert run.remainder == 0  # score × shares pays the whole pool
    assert sum(line.total_amount for line in lines) == run.total
    assert all(line.base_amount >= 0 and line.incentive_amount >= 0 for line in lines)
    by_number = {line.household_number: line for line in lines}
    assert by_number["A001"].vetoed and by_number["A001"].incentive_amount == 0
    # Same shares, higher score: more incentive (W0000 scored 85, W0004 80, both 1 share).
    assert by_number["W0000"].incentive_amount > by_number["W0004"].incentive_amount

    # A duplicated task (a redelivery) finds the run computed and writes nothing.
    line_ids = sorted(line.pk for line in lines)
    again = compute_dividend_run.delay(run.pk).get(timeout=120)
    assert again == outcome
    assert sorted(run.lines.values_list("pk", flat=True)) == line_ids
    assert AuditRecord.objects.filter(action="dividend.compute", object_id=str(run.pk)).count() == 1
