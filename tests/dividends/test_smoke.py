from decimal import Decimal

from dividends import run_jobs, services
from dividends.models import DividendRun


def test_run_computes_and_lines_add_up(world, standard, django_capture_on_commit_callbacks):
    run = services.dividend_run_create(
        actor=world.accountant_a,
        cooperative=world.coop_a,
        year=2026,
        total=Decimal("1000.00"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=Decimal("0.2"),
        policy=DividendRun.Policy.SCORE,
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_jobs.dividend_run_enqueue(run=run)
    run.refresh_from_db()
    assert run.status == DividendRun.Status.COMPUTED, run.error
    assert run.base_pool == Decimal("833.33")
    assert run.incentive_pool == Decimal("166.67")
    lines = list(run.lines.order_by("household_number"))
    # A001 holds 3 shares, A002 2: base 500.00 / 333.33; equal scores split the incentive evenly.
    assert [line.base_amount for line in lines] == [Decimal("500.00"), Decimal("333.33")]
    assert sum(line.incentive_amount for line in lines) == Decimal("166.67")
    assert run.remainder == Decimal("0.00")


def test_an_approved_run_and_its_lines_cannot_be_changed_or_deleted(
    world, standard, django_capture_on_commit_callbacks
):
    import pytest

    run = services.dividend_run_create(
        actor=world.accountant_a,
        cooperative=world.coop_a,
        year=2026,
        total=Decimal("100.00"),
        incentive_mode=DividendRun.IncentiveMode.FIXED,
        incentive_value=Decimal("10"),
        policy=DividendRun.Policy.SCORE,
    )
    run_jobs.dividend_run_compute(run_id=run.pk)
    run = services.dividend_run_approve(actor=world.supervisor_a, run=run)
    line = run.lines.first()
    for attempt in (run.save, run.delete, line.delete, run.lines.all().delete):
        with pytest.raises(PermissionError):
            attempt()
    assert DividendRun.objects.get(pk=run.pk).status == DividendRun.Status.APPROVED
    assert run.lines.count() == 2
