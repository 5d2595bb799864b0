"""A large register uploaded on the page is imported by a real Celery worker while the
page polls its progress; a worker killed mid-import (kill -9) is recovered by the sweep or
by "重新导入" (CI: Redis + PostgreSQL; skipped without a broker)."""

import os
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from pinghu_points.celery import app
from pinghu_points.jobs import sweep_jobs
from tests.dividends.test_worker import backends_waiting_on_a_lock, table_locked, wait_for
from tests.worker import running_worker, worker_database_url
from villages import import_jobs
from villages.models import Household, ImportJob, ShareClass

from .test_import import xlsx
from .test_import_limits import many_good_rows

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_large_register_is_imported_by_the_worker_while_the_page_polls(
    world, login, settings, celery_worker_process
):
    ShareClass.objects.create(cooperative=world.coop_a, code="NL", name="农龄股", weight="0.5")
    settings.IMPORT_BACKGROUND_BYTES = 20 * 1024
    client = login(world.accountant_a)
    file = SimpleUploadedFile("名册.xlsx", xlsx(many_good_rows(5000)).getvalue())
    response = client.post(
        reverse("villages:household_import"), {"cooperative": world.coop_a.pk, "file": file}
    )
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("villages:import_job", args=[job.pk])
    # First the worker checks and counts (the preview), writing nothing.
    progress, _seen = poll(client, job, celery_worker_process)
    assert progress["status"] == "preview", (progress, celery_worker_process.log())
    job.refresh_from_db()
    assert job.result["households"] == 5000 and bytes(job.content) != b""
    assert Household.objects.filter(cooperative=world.coop_a).count() == 2
    # The confirmation sends it again; now it writes.
    confirmed = client.post(
        reverse("villages:household_import"), {"preview_job": job.pk, "confirm": "on"}
    )
    assert confirmed["Location"] == reverse("villages:import_job", args=[job.pk])
    progress, seen = poll(client, job, celery_worker_process)
    assert progress["status"] == "done", (progress, celery_worker_process.log())
    assert seen == sorted(seen) and seen[-1] == 100
    job.refresh_from_db()
    assert job.result["households"] == 5000 and bytes(job.content) == b""
    assert Household.objects.filter(cooperative=world.coop_a).count() == 5002


def poll(client, job, worker):
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        progress = client.get(reverse("villages:import_job_progress", args=[job.pk])).json()
        seen.append(progress["progress"])
        if progress["done"]:
            return progress, seen
        time.sleep(0.2)
    raise AssertionError(("still running", progress, worker.log()))


# --- The whole worker killed mid-import (kill -9): the job mechanism recovers it ----------


@pytest.fixture
def worker_database(celery_worker_process):
    return worker_database_url(os.environ["DATABASE_URL"], connection.settings_dict["NAME"])


def job_status(job):
    return ImportJob.objects.values_list("status", flat=True).get(pk=job.pk)


def killed_mid_import(world, worker_database):
    """A register import sent to a worker that is SIGKILLed while it imports (it waits on
    the locked household table, past reading: 导入中 with its progress). Returns the job
    and the dead worker's queue."""
    ShareClass.objects.create(cooperative=world.coop_a, code="NL", name="农龄股", weight="0.5")
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.REGISTER,
        user=world.accountant_a,
        cooperative=world.coop_a,
        file_name="名册.xlsx",
        content=xlsx(many_good_rows(40)).getvalue(),
    )
    with table_locked(Household):
        with running_worker(app=app, database_url=worker_database) as first:
            assert import_jobs.import_job_send(job=job)
            assert wait_for(lambda: job_status(job) == ImportJob.Status.RUNNING), first.log()
            assert wait_for(backends_waiting_on_a_lock), first.log()  # really mid-import
            # --pool=solo: the worker's one process is master and child at once.
            first.process.kill()  # SIGKILL: no handler, no acknowledgement
            first.process.wait(10)
    job.refresh_from_db()
    assert (job.status, job.attempts) == (ImportJob.Status.RUNNING, 1)  # what the user saw
    return job, first.queue


def test_the_sweep_resends_an_import_whose_worker_was_killed(world, worker_database):
    job, queue = killed_mid_import(world, worker_database)

    with running_worker(
        app=app, database_url=worker_database, queue=queue, env={"JOB_STALE_SECONDS": "1"}
    ) as second:
        time.sleep(1.5)
        sweep_jobs.delay()
        assert wait_for(lambda: job_status(job) == ImportJob.Status.DONE), second.log()
        assert second.wait_for_log("import job sweep: re-sent"), second.log()
    job.refresh_from_db()
    assert job.attempts == 2 and bytes(job.content) == b""
    assert Household.objects.filter(number__startswith="N").count() == 40  # once


def test_a_killed_import_offers_retry_once_overdue_and_is_imported(
    world,
    worker_database,
    login,
    settings,
):
    job, queue = killed_mid_import(world, worker_database)
    client = login(world.accountant_a)
    page = client.get(reverse("villages:import_job", args=[job.pk])).content.decode()
    assert 'id="import-retry" hidden' in page  # its heartbeat is fresh: maybe still alive

    settings.JOB_OVERDUE_SECONDS = 1
    time.sleep(1.5)
    progress = client.get(reverse("villages:import_job_progress", args=[job.pk])).json()
    assert progress["can_retry"] and "后台程序可能已中断" in progress["stalled"]
    # The sweep's time is said too: the last sign of life + JOB_STALE_SECONDS + a sweep.
    swept_at = job.heartbeat_at + timedelta(
        seconds=settings.JOB_STALE_SECONDS + settings.JOB_SWEEP_INTERVAL
    )
    assert (
        f"系统会在 {timezone.localtime(swept_at).strftime('%H:%M')} 前自动重新发送"
        in (progress["stalled"])
    )

    with running_worker(app=app, database_url=worker_database, queue=queue) as second:
        response = client.post(reverse("villages:import_job_retry", args=[job.pk]), follow=True)
        assert [str(m) for m in response.context["messages"]] == ["已重新开始导入"]
        assert wait_for(lambda: job_status(job) == ImportJob.Status.DONE), second.log()
    job.refresh_from_db()
    assert job.attempts == 1  # a person's retry starts the count again
    assert Household.objects.filter(number__startswith="N").count() == 40
