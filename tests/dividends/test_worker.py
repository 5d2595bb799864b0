"""The dividend job through a real Celery worker on the broker (CI: Redis + PostgreSQL).

Skipped without CELERY_BROKER_URL. The worker is another process: the rows it reads
must be committed, hence `transaction=True`.
"""

import contextlib
import os
import time
from decimal import Decimal

import pytest
from celery.result import AsyncResult, EagerResult
from django.db import connection, transaction

from accounts.models import AuditRecord
from communities.models import ScoreEvent
from dividends import run_jobs, services
from dividends.models import DividendRun
from dividends.tasks import compute_dividend_run
from pinghu_points.celery import app
from tests import factories
from tests.worker import running_worker, worker_database_url
from villages.models import Household

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


# --- Recovery: killed workers, dropped connections, duplicates (docs/dividends.md) --------

Status = DividendRun.Status
RECOVERY_TIMEOUT = 60  # seconds; the worker's timeouts below are a few seconds each


def wait_for(predicate, timeout=RECOVERY_TIMEOUT, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def run_status(run):
    return DividendRun.objects.values_list("status", flat=True).get(pk=run.pk)


def some_households(world, count=30):
    for n in range(count):
        factories.household(
            cooperative_=world.coop_a,
            community_=world.east,
            number=f"K{n:04d}",
            shares={"RK": 1 + n % 3},
        )


def new_run(world, items):
    return services.dividend_run_create(
        actor=world.accountant_a,
        cooperative=world.coop_a,
        year=items["clean"].standard.year,
        total=D("12000.00"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=D("0.2"),
        policy=DividendRun.Policy.SCORE,
    )


@contextlib.contextmanager
def table_locked(model):
    """Another session holds an exclusive lock on the model's table: a worker that reads
    it waits there, mid-run (status running), until the block ends."""
    import psycopg2

    session = psycopg2.connect(**connection.get_connection_params())
    try:
        with session.cursor() as cursor:
            cursor.execute(f'LOCK TABLE "{model._meta.db_table}" IN ACCESS EXCLUSIVE MODE')
        yield
    finally:
        session.rollback()
        session.close()


def backends_waiting_on_a_lock():
    with connection.cursor() as cursor:
        # Inside a transaction the statistics views keep their first snapshot.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


@pytest.fixture
def worker_database(celery_worker_process):
    """The DATABASE_URL of a worker on pytest's test database (skips as the shared worker
    does when there is no broker or no server database)."""
    return worker_database_url(os.environ["DATABASE_URL"], connection.settings_dict["NAME"])


def assert_computed_once(run, households):
    run.refresh_from_db()
    assert (run.status, run.progress, run.error) == (Status.COMPUTED, 100, ""), run.error
    assert run.lines.count() == run.household_count == households
    assert sum(line.total_amount for line in run.lines.all()) == run.total
    assert AuditRecord.objects.filter(action="dividend.compute", object_id=str(run.pk)).count() == 1


def test_a_run_whose_worker_is_killed_is_computed_by_the_next_worker(world, items, worker_database):
    """kill -9 of the worker mid-run: the task was not acknowledged, so the broker gives
    it to the next worker after the visibility timeout (2 s here), without a person."""
    some_households(world)
    run = new_run(world, items)
    with table_locked(Household):
        with running_worker(app=app, database_url=worker_database) as first:
            compute_dividend_run.delay(run.pk)
            assert wait_for(lambda: run_status(run) == Status.RUNNING), first.log()
            assert wait_for(backends_waiting_on_a_lock), first.log()  # really mid-run
            first.process.kill()  # SIGKILL: no handler, no acknowledgement
            first.process.wait(10)
    run.refresh_from_db()
    assert (run.status, run.attempts) == (Status.RUNNING, 1)  # what the accountant saw

    quick = {"CELERY_VISIBILITY_TIMEOUT": "2", "CELERY_UNACKED_RESTORE_INTERVAL": "1"}
    with running_worker(
        app=app, database_url=worker_database, queue=first.queue, env=quick
    ) as second:
        assert wait_for(lambda: run_status(run) == Status.COMPUTED), second.log()
    assert_computed_once(run, 32)
    assert run.attempts == 2


def test_the_sweep_resends_a_run_whose_worker_was_killed(world, items, worker_database):
    """The same, recovered by the periodic sweep (beat sends it; here the test does): the
    run is running with no sign of life for JOB_STALE_SECONDS (1 s here)."""
    from pinghu_points.jobs import sweep_jobs

    some_households(world)
    run = new_run(world, items)
    with table_locked(Household):
        with running_worker(app=app, database_url=worker_database) as first:
            compute_dividend_run.delay(run.pk)
            assert wait_for(backends_waiting_on_a_lock), first.log()
            first.process.kill()
            first.process.wait(10)

    with running_worker(
        app=app,
        database_url=worker_database,
        queue=first.queue,
        env={"JOB_STALE_SECONDS": "1"},
    ) as second:
        time.sleep(1.5)
        sweep_jobs.delay()
        assert wait_for(lambda: run_status(run) == Status.COMPUTED), second.log()
        assert second.wait_for_log("dividend run sweep: re-sent"), second.log()
    assert_computed_once(run, 32)


def test_a_dropped_database_connection_mid_run_is_retried(world, items, celery_worker_process):
    """The worker's database connection is terminated while it computes: the task
    retries on a new connection instead of leaving the run running for good."""
    some_households(world)
    run = new_run(world, items)
    with table_locked(Household):
        compute_dividend_run.delay(run.pk)
        waiting = wait_for(backends_waiting_on_a_lock)
        assert waiting, celery_worker_process.log()
        with connection.cursor() as cursor:
            for pid in waiting:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])

    assert wait_for(lambda: run_status(run) == Status.COMPUTED), celery_worker_process.log()
    assert_computed_once(run, 32)
    assert run.attempts == 2
    assert celery_worker_process.wait_for_log("database connection lost")


def test_a_duplicate_task_during_the_write_leaves_the_run_computed(
    world, items, celery_worker_process
):
    """A second task for the run arrives while the first one writes the lines (here the
    test plays the first one: it holds the run's row lock and writes). The duplicate waits
    for the lock, finds the run computed and leaves it alone: one set of lines, no error."""
    some_households(world)
    run = new_run(world, items)
    DividendRun.objects.filter(pk=run.pk).update(status=Status.RUNNING, attempts=1)
    lines = services.compute_lines(run=run)

    with transaction.atomic():
        DividendRun.objects.select_for_update().get(pk=run.pk)
        duplicate = compute_dividend_run.delay(run.pk)
        assert wait_for(backends_waiting_on_a_lock), celery_worker_process.log()
        run_jobs.write_lines(run, lines)
        paid = sum((line.incentive_amount for line in lines), D(0))
        DividendRun.objects.filter(pk=run.pk).update(
            status=Status.COMPUTED,
            progress=100,
            household_count=len(lines),
            incentive_paid=paid,
            remainder=run.incentive_pool - paid,
        )

    assert duplicate.get(timeout=60) == {"run": run.pk, "status": "computed", "progress": 100}
    run.refresh_from_db()
    assert (run.status, run.progress, run.error, run.attempts) == (Status.COMPUTED, 100, "", 1)
    assert run.lines.count() == len(lines) == 32
