"""The dividend job's mechanics without a worker: the claim under the row lock, the
sweep, "重新计算" of a failed or stalled run, and the broker down for the page, the API
and the command (docs/dividends.md, "The job"; docs/deployment.md, "Timeouts").

The broker-down tests point Celery at a closed port or at a socket that accepts and
never answers; they need no Redis and run on SQLite and PostgreSQL alike.
"""

import contextlib
import io
import os
import socket
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import InterfaceError, connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditRecord
from dividends import run_jobs, services
from dividends.models import DividendLine, DividendRun
from pinghu_points.celery import app
from tests.dividends.test_views import form_data

D = Decimal
Status = DividendRun.Status
YEAR = 2026
API_RUNS = "/api/dividend-runs/"
API_CREATE = {"cooperative": "COOPA", "year": YEAR, "total": "561600", "incentive_ratio": "0.2"}


def create_run(world):
    return services.dividend_run_create(
        actor=world.accountant_a,
        cooperative=world.coop_a,
        year=YEAR,
        total=D("1200.00"),
        incentive_mode=DividendRun.IncentiveMode.RATIO_OF_BASE,
        incentive_value=D("0.2"),
        policy=DividendRun.Policy.SCORE,
    )


def age(run, seconds, **fields):
    """The run's last sign of life `seconds` ago (and other fields set as given)."""
    DividendRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=seconds), **fields
    )
    run.refresh_from_db()
    return run


# --- The claim: under the row lock, a duplicate leaves a computed run alone --------------


def test_a_duplicate_task_after_the_run_is_computed_changes_nothing(world, standard):
    run = create_run(world)
    run = run_jobs.dividend_run_compute(run_id=run.pk)
    before = DividendRun.objects.values().get(pk=run.pk)

    again = run_jobs.dividend_run_compute(run_id=run.pk)

    assert again.status == Status.COMPUTED
    assert DividendRun.objects.values().get(pk=run.pk) == before  # not even the progress
    assert run.lines.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_task_waiting_on_the_writer_leaves_the_computed_run_alone(world, standard):
    """The race of the outside check: the second task arrives while the first one holds
    the run's row lock to write the lines. It must wait for the lock BEFORE it reads the
    status, then find the run computed. (The old code read the status without the lock,
    then overwrote "computed" with "running" and failed on the unique constraint.)"""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    run = create_run(world)
    lines = services.compute_lines(run=run)
    writer_has_lock, duplicate_done = threading.Event(), threading.Event()
    outcome = {}

    def duplicate():
        try:
            writer_has_lock.wait(10)
            outcome["run"] = run_jobs.dividend_run_compute(run_id=run.pk)
        except Exception as error:  # pragma: no cover - reported below
            outcome["error"] = error
        finally:
            connection.close()
            duplicate_done.set()

    thread = threading.Thread(target=duplicate)
    thread.start()
    # The first task, at its write: the run is running and its row is locked.
    DividendRun.objects.filter(pk=run.pk).update(status=Status.RUNNING, attempts=1)
    from django.db import transaction

    with transaction.atomic():
        DividendRun.objects.select_for_update().get(pk=run.pk)
        writer_has_lock.set()
        assert not duplicate_done.wait(1.0)  # the duplicate waits on the lock
        run_jobs.write_lines(run, lines)
        DividendRun.objects.filter(pk=run.pk).update(status=Status.COMPUTED, progress=100)
    thread.join(20)

    assert "error" not in outcome, outcome
    run.refresh_from_db()
    assert (run.status, run.progress, run.error) == (Status.COMPUTED, 100, "")
    assert outcome["run"].status == Status.COMPUTED
    assert DividendLine.objects.filter(run=run).count() == len(lines) == 2
    assert run.attempts == 1  # the duplicate did not even take the run


def test_a_broken_database_connection_leaves_the_run_running_for_a_retry(
    world, standard, monkeypatch
):
    run = create_run(world)

    def connection_lost(**kwargs):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(run_jobs, "compute_lines", connection_lost)
    with pytest.raises(InterfaceError):
        run_jobs.dividend_run_compute(run_id=run.pk)
    run.refresh_from_db()
    # Not failed with the raw error: running, to be retried by the task or the sweep.
    assert (run.status, run.error, run.attempts) == (Status.RUNNING, "", 1)

    monkeypatch.undo()
    assert run_jobs.dividend_run_compute(run_id=run.pk).status == Status.COMPUTED


def test_the_eager_task_gives_up_with_a_reason_when_the_connection_keeps_breaking(
    world, standard, monkeypatch
):
    from dividends.tasks import compute_dividend_run

    run = create_run(world)

    def connection_lost(**kwargs):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(run_jobs, "compute_lines", connection_lost)
    with pytest.raises(InterfaceError):
        compute_dividend_run.delay(run.pk)
    run.refresh_from_db()
    assert run.status == Status.FAILED
    assert run.error == run_jobs.database_lost_message()
    assert "connection already closed" not in run.error


def test_a_run_that_keeps_killing_its_worker_is_failed_with_a_reason(world, standard):
    run = create_run(world)
    # Started JOB_MAX_ATTEMPTS times, never finished (the worker died each time).
    DividendRun.objects.filter(pk=run.pk).update(status=Status.RUNNING, attempts=3)

    run = run_jobs.dividend_run_compute(run_id=run.pk)

    assert run.status == Status.FAILED and run.error == run_jobs.interrupted_message()
    assert not run.lines.exists()
    assert run_jobs.run_can_retry(run)


# --- The sweep -------------------------------------------------------------------------------


def test_the_sweep_resends_a_stalled_run_and_it_is_computed(world, standard, settings):
    settings.JOB_STALE_SECONDS = 60
    run = create_run(world)
    age(run, 61, status=Status.RUNNING, progress=45, attempts=1, task_id="lost")

    outcome = run_jobs.dividend_runs_sweep()

    assert outcome == {"resent": [run.pk], "failed": []}
    run.refresh_from_db()  # eager: computed by the re-sent task
    assert (run.status, run.progress, run.attempts) == (Status.COMPUTED, 100, 2)


def test_the_sweep_leaves_a_live_run_alone(world, standard, settings):
    settings.JOB_STALE_SECONDS = 60
    running = age(create_run(world), 30, status=Status.RUNNING, attempts=1, task_id="live")
    queued = age(create_run(world), 59, task_id="waiting")
    computed = run_jobs.dividend_run_compute(run_id=create_run(world).pk)
    age(computed, 3600)

    assert run_jobs.dividend_runs_sweep() == {"resent": [], "failed": []}
    for run, status in ((running, Status.RUNNING), (queued, Status.QUEUED)):
        run.refresh_from_db()
        assert run.status == status
    assert not run_jobs.run_can_retry(running) and not run_jobs.run_can_retry(queued)


def test_the_sweep_fails_a_run_interrupted_too_often_with_a_reason(world, standard, settings):
    settings.JOB_STALE_SECONDS = 60
    settings.JOB_MAX_ATTEMPTS = 3
    run = age(create_run(world), 61, status=Status.RUNNING, attempts=3, task_id="lost")

    assert run_jobs.dividend_runs_sweep() == {"resent": [], "failed": [run.pk]}
    run.refresh_from_db()
    assert run.status == Status.FAILED
    assert "重新计算" in run.error and "中断" in run.error


def test_the_sweep_sends_a_run_the_broker_never_got(world, standard, settings):
    settings.JOB_STALE_SECONDS = 300
    settings.JOB_UNSENT_SECONDS = 30
    run = age(create_run(world), 31)  # queued, no task id: never sent

    assert run_jobs.dividend_runs_sweep() == {"resent": [run.pk], "failed": []}
    run.refresh_from_db()
    assert run.status == Status.COMPUTED


def test_the_sweep_is_on_celery_beats_schedule():
    from django.conf import settings

    from pinghu_points.jobs import sweep_jobs

    entry = settings.CELERY_BEAT_SCHEDULE["sweep-jobs"]
    assert entry["task"] == sweep_jobs.name == "pinghu_points.jobs.sweep_jobs"
    assert entry["schedule"] == settings.JOB_SWEEP_INTERVAL
    assert app.conf.beat_schedule["sweep-jobs"]["task"] == entry["task"]
    assert "pinghu_points.jobs" in app.conf.imports  # the worker knows the task
    assert settings.JOB_KINDS == [
        "dividends.run_jobs.RUN_JOBS",
        "villages.import_jobs.IMPORT_JOBS",
        "awards.services.AWARD_JOBS",
    ]
    transport = app.conf.broker_transport_options
    assert transport["visibility_timeout"] == 1800 > settings.JOB_STALE_SECONDS
    assert settings.JOB_OVERDUE_SECONDS < settings.JOB_STALE_SECONDS
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost


# --- "重新计算" of a failed or stalled run (the page asks the service) --------------------


def test_a_stalled_run_offers_retry_and_is_computed_again(
    world, standard, settings, login, django_capture_on_commit_callbacks
):
    settings.JOB_STALE_SECONDS = 60
    client = login(world.accountant_a)
    run = age(create_run(world), 61, status=Status.RUNNING, progress=20, attempts=1, task_id="x")
    page = client.get(reverse("dividends:run_detail", args=[run.pk])).content.decode()
    assert 'id="retry-button"' in page and 'id="run-stalled"' in page
    assert client.get(reverse("dividends:run_progress", args=[run.pk])).json()["can_retry"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dividends:run_retry", args=[run.pk]), follow=True)

    run.refresh_from_db()
    assert (run.status, run.version, run.attempts) == (Status.COMPUTED, 1, 1)
    assert [str(m) for m in response.context["messages"]] == ["第 1 版已重新开始计算"]
    assert AuditRecord.objects.filter(action="dividend.retry", object_id=str(run.pk)).count() == 1
    assert DividendRun.objects.count() == 1


def test_a_failed_run_is_retried_as_the_same_version(
    world, standard, login, django_capture_on_commit_callbacks
):
    client = login(world.accountant_a)
    run = create_run(world)
    DividendRun.objects.filter(pk=run.pk).update(status=Status.FAILED, error="数据库不可用")
    page = client.get(reverse("dividends:run_detail", args=[run.pk])).content.decode()
    assert 'id="retry-button"' in page and "run-stalled" not in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dividends:run_retry", args=[run.pk]))

    run.refresh_from_db()
    assert (run.status, run.error, run.version) == (Status.COMPUTED, "", 1)


def test_a_live_or_computed_run_cannot_be_retried(world, standard, login):
    client = login(world.accountant_a)
    run = age(create_run(world), 1, status=Status.RUNNING, attempts=1, task_id="live")
    page = client.get(reverse("dividends:run_detail", args=[run.pk])).content.decode()
    assert 'id="run-retry" hidden' in page and 'id="run-progress-hint">' in page

    response = client.post(reverse("dividends:run_retry", args=[run.pk]), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "当前状态（计算中）的方案不能重新计算"
    ]
    run.refresh_from_db()
    assert (run.status, run.attempts) == (Status.RUNNING, 1)
    computed = run_jobs.dividend_run_compute(run_id=create_run(world).pk)
    with pytest.raises(Exception, match="不能重新计算"):
        run_jobs.dividend_run_retry(actor=world.accountant_a, run=computed)


def test_retry_is_scoped(world, standard, login):
    run = create_run(world)
    DividendRun.objects.filter(pk=run.pk).update(status=Status.FAILED)
    assert (
        login(world.accountant_b).post(reverse("dividends:run_retry", args=[run.pk])).status_code
        == 404
    )
    run.refresh_from_db()
    assert run.status == Status.FAILED


# --- The broker down: page, API, command ----------------------------------------------------


@contextlib.contextmanager
def celery_pointed_at(url):
    """The test process's Celery app sends to `url` (and keeps results there), as in
    production, instead of running tasks in-process. Celery reads CELERY_BROKER_URL and
    CELERY_RESULT_BACKEND from the environment before its configuration: both are set."""
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "result_backend")}
    saved_environment = {
        name: os.environ.get(name) for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
    }

    def reset():
        app._pool = None
        app._backend_cache = None
        app._local = threading.local()  # the result backend, per thread
        with contextlib.suppress(AttributeError, KeyError):
            app.__dict__["amqp"]._producer_pool = None

    app.conf.update(task_always_eager=False, broker_url=url, result_backend=url)
    for name in saved_environment:
        os.environ[name] = url
    reset()
    try:
        yield
    finally:
        for name, value in saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        app.conf.update(saved)
        reset()


@pytest.fixture(params=["refused", "silent"])
def broker_down(request, settings):
    """A broker that refuses connections (nothing listens) or one that accepts them and
    never answers. Sending must give up within BROKER_PUBLISH_TIMEOUT (1 s here)."""
    settings.BROKER_PUBLISH_TIMEOUT = 1
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    accepted = []
    if request.param == "silent":
        listener.listen(50)

        def accept():
            with contextlib.suppress(OSError):
                while True:
                    accepted.append(listener.accept()[0])

        threading.Thread(target=accept, daemon=True).start()
    else:
        listener.close()
    with celery_pointed_at(f"redis://127.0.0.1:{port}/0"):
        yield request.param
    for sock in [listener, *accepted]:
        sock.close()


BOUND = 3.0  # seconds: the publish timeout (1 s) and the rest of the request


@pytest.mark.django_db(transaction=True)
def test_broker_down_the_page_says_once_that_the_run_is_saved(world, standard, login, broker_down):
    client = login(world.accountant_a)

    started = time.monotonic()
    response = client.post(reverse("dividends:run_create"), form_data(world), follow=True)
    elapsed = time.monotonic() - started

    assert elapsed < BOUND, elapsed
    run = DividendRun.objects.get()
    assert (run.status, run.task_id) == (Status.QUEUED, "")
    shown = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert shown == [
        ("warning", "第 1 版已保存，但任务队列暂时无法连接：队列恢复后会自动计算，不必重新创建。")
    ]
    page = response.content.decode()
    assert "计算失败" not in page and "正在计算" not in page
    assert 'id="retry-button"' in page  # never reached the queue: can be sent again

    # The queue is back: the sweep sends it (eager here) and it is computed.
    age(run, 60)
    with settings_restored():
        assert run_jobs.dividend_runs_sweep()["resent"] == [run.pk]
    run.refresh_from_db()
    assert run.status == Status.COMPUTED


@contextlib.contextmanager
def settings_restored():
    """The broker is back: tasks run in-process again, as in the rest of the suite."""
    with celery_pointed_at(""):
        app.conf.task_always_eager = True
        yield


@pytest.mark.django_db(transaction=True)
def test_broker_down_the_api_answers_202_with_the_saved_run(world, standard, login, broker_down):
    client = login(world.accountant_a)

    started = time.monotonic()
    response = client.post(API_RUNS, API_CREATE, content_type="application/json")
    elapsed = time.monotonic() - started

    assert elapsed < BOUND, elapsed
    assert response.status_code == 202, response.content
    data = response.json()
    assert data["status"] == "queued" and data["version"] == 1
    assert DividendRun.objects.get().pk == data["id"]


@pytest.mark.django_db(transaction=True)
def test_broker_down_the_command_says_the_run_is_saved(world, standard, broker_down):
    out = io.StringIO()
    started = time.monotonic()
    call_command(
        "run_dividend",
        *["--cooperative", "COOPA", "--year", str(YEAR), "--total", "561600"],
        "--incentive-ratio",
        "0.2",
        stdout=out,
    )
    assert time.monotonic() - started < BOUND
    run = DividendRun.objects.get()
    assert f"分红方案 {run.pk} 已保存，但任务队列暂时无法连接" in out.getvalue()
    assert run.status == Status.QUEUED

    with pytest.raises(CommandError, match="无法等待计算结果"):
        call_command(
            "run_dividend",
            *["--cooperative", "COOPA", "--year", str(YEAR), "--total", "561600"],
            "--incentive-ratio",
            "0.2",
            "--wait",
            stdout=io.StringIO(),
        )
    assert DividendRun.objects.filter(status=Status.QUEUED).count() == 2


@pytest.mark.django_db(transaction=True)
def test_broker_down_the_command_prints_one_clean_message(world, standard, broker_down, caplog):
    """No traceback, no Celery "must be restarted" above the command's own message: the
    sender never subscribes to a result it does not read, and a refusal is one log line."""
    caplog.set_level("WARNING")
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "run_dividend",
        *["--cooperative", "COOPA", "--year", str(YEAR), "--total", "561600"],
        "--incentive-ratio",
        "0.2",
        stdout=out,
        stderr=err,
    )
    assert "已保存，但任务队列暂时无法连接" in out.getvalue()
    assert err.getvalue() == ""
    assert not [record for record in caplog.records if record.exc_info], caplog.text
    assert "must be restarted" not in caplog.text
    assert all(record.levelname == "WARNING" for record in caplog.records), caplog.text


@pytest.mark.django_db(transaction=True)
def test_broker_hung_the_command_process_ends_within_the_publish_bound(world, standard):
    """The whole `manage.py run_dividend` process, with a broker that accepts connections
    and never answers: it ends about BROKER_PUBLISH_TIMEOUT after it starts (it took 19.6 s:
    the interpreter waited at exit for the abandoned publishing thread)."""
    import subprocess
    import sys

    from tests.worker import PROJECT_ROOT, worker_database_url

    if connection.vendor != "postgresql":
        pytest.skip("another process reads the test database: PostgreSQL")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(50)
    accepted = []

    def accept():
        with contextlib.suppress(OSError):
            while True:
                accepted.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    broker = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    environment = {
        **os.environ,
        "DATABASE_URL": worker_database_url(
            os.environ["DATABASE_URL"], connection.settings_dict["NAME"]
        ),
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "BROKER_PUBLISH_TIMEOUT": "1",
    }
    command = [sys.executable, "manage.py", "run_dividend", "--cooperative", "COOPA"]
    command += ["--year", str(YEAR), "--total", "561600", "--incentive-ratio", "0.2"]
    environment["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    for line in process.stdout:  # the message is the command's last line
        lines.append(line.rstrip("\n"))
        said_at = time.monotonic()
    process.wait(120)
    lingered = time.monotonic() - said_at
    stderr = process.stderr.read()
    for sock in [listener, *accepted]:
        sock.close()

    assert process.returncode == 0, stderr
    run = DividendRun.objects.get()
    assert lines[-1] == (
        f"分红方案 {run.pk} 已保存，但任务队列暂时无法连接：队列恢复后会自动计算，不必重新创建。"
    )
    assert "Traceback" not in stderr and "restarted" not in stderr, stderr
    assert stderr.splitlines() == [
        f"dividend run {run.pk} not sent: the job queue did not answer within 1.0s"
    ]
    # It said so and ended; it did not wait at exit for the publish it gave up on.
    assert lingered < 1.5, lingered


# --- "按当前台账重新计算为新版本": the service checks the run itself ------------------------


@pytest.mark.parametrize("status", [Status.QUEUED, Status.RUNNING, Status.FAILED])
def test_the_recompute_service_refuses_a_run_that_is_not_computed(world, standard, status):
    run = create_run(world)
    DividendRun.objects.filter(pk=run.pk).update(status=status)

    with pytest.raises(ValidationError, match="的方案不能重新计算"):
        services.dividend_run_recompute(actor=world.accountant_a, run=run)
    assert DividendRun.objects.count() == 1


def test_the_recompute_service_refuses_who_does_not_keep_the_cooperative(world, standard):
    run = run_jobs.dividend_run_compute(run_id=create_run(world).pk)
    for actor in (world.accountant_b, world.supervisor_a, world.staff_east):
        with pytest.raises(PermissionDenied):
            services.dividend_run_recompute(actor=actor, run=run)
    assert DividendRun.objects.count() == 1
    assert services.dividend_run_recompute(actor=world.accountant_a, run=run).version == 2
