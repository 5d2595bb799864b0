"""Import jobs are jobs like dividend runs (pinghu_points/jobs.py): taken with an attempt
counted and a heartbeat, swept when no live task has them (re-sent, or failed with a
reason and the file kept), and "重新导入" by the user who started them
(docs/import-formats.md, "Large files run in the background")."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditRecord
from pinghu_points import jobs
from villages import import_jobs
from villages.models import Household, ImportJob, ShareClass

from .test_import import xlsx
from .test_import_limits import many_good_rows

Status = ImportJob.Status


@pytest.fixture
def register(world):
    ShareClass.objects.create(cooperative=world.coop_a, code="NL", name="农龄股", weight="0.5")
    return world


def new_job(world, rows=3, **fields):
    """A register import job as the page leaves it (queued, its file kept), not sent."""
    return ImportJob.objects.create(
        kind=ImportJob.Kind.REGISTER,
        user=world.accountant_a,
        cooperative=world.coop_a,
        file_name="名册.xlsx",
        content=xlsx(many_good_rows(rows)).getvalue(),
        **fields,
    )


def age(job, seconds, **fields):
    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=seconds), **fields
    )
    job.refresh_from_db()
    return job


def imported():
    return Household.objects.filter(number__startswith="N").count()


def test_a_task_takes_the_job_with_an_attempt_and_a_heartbeat(register):
    job = new_job(register)
    before = timezone.now()

    import_jobs.import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.attempts, job.progress) == (Status.DONE, 1, 100)
    assert job.heartbeat_at >= before
    assert imported() == 3


def test_the_sweep_resends_an_import_whose_worker_died(register, settings):
    settings.JOB_STALE_SECONDS = 60
    job = age(new_job(register), 61, status=Status.RUNNING, progress=30, attempts=1, task_id="x")

    outcome = jobs.sweep_all()

    assert outcome["import job"] == {"resent": [job.pk], "failed": []}
    job.refresh_from_db()  # eager: imported by the re-sent task
    assert (job.status, job.attempts) == (Status.DONE, 2)
    assert imported() == 3


def test_the_sweep_leaves_a_live_import_alone(register, settings):
    settings.JOB_STALE_SECONDS = 60
    job = age(new_job(register), 30, status=Status.RUNNING, attempts=1, task_id="live")

    assert jobs.sweep_all()["import job"] == {"resent": [], "failed": []}
    job.refresh_from_db()
    assert job.status == Status.RUNNING and imported() == 0


def test_an_import_interrupted_too_often_fails_with_a_reason_and_keeps_its_file(
    register, settings, login
):
    settings.JOB_STALE_SECONDS = 60
    job = age(new_job(register), 61, status=Status.RUNNING, attempts=3, task_id="lost")

    assert jobs.sweep_all()["import job"] == {"resent": [], "failed": [job.pk]}

    job.refresh_from_db()
    assert job.status == Status.FAILED and imported() == 0
    assert job.errors[0]["message"] == import_jobs.interrupted_message()
    assert import_jobs.has_file(job) and import_jobs.job_can_retry(job)
    client = login(register.accountant_a)
    page = client.get(reverse("villages:import_job", args=[job.pk])).content.decode()
    assert "导入多次中断" in page and 'id="import-retry-button"' in page
    assert 'id="import-retry" hidden' not in page

    client.post(reverse("villages:import_job_retry", args=[job.pk]))

    job.refresh_from_db()
    assert (job.status, job.attempts) == (Status.DONE, 1)
    assert imported() == 3


def test_a_claim_of_a_job_started_too_often_fails_it(register):
    job = new_job(register, status=Status.RUNNING, attempts=3)

    import_jobs.import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == Status.FAILED and "导入多次中断" in job.errors[0]["message"]
    assert imported() == 0


def test_a_stalled_import_offers_retry_with_a_hint_and_is_imported_once(
    register, settings, login, django_capture_on_commit_callbacks
):
    settings.JOB_STALE_SECONDS = 300
    settings.JOB_OVERDUE_SECONDS = 60
    client = login(register.accountant_a)
    job = age(new_job(register), 61, status=Status.RUNNING, progress=30, attempts=1, task_id="x")

    page = client.get(reverse("villages:import_job", args=[job.pk])).content.decode()
    assert 'id="import-retry" hidden' not in page and 'id="import-retry-button"' in page
    assert "已 61 秒没有进展：后台程序可能已中断" in page
    progress = client.get(reverse("villages:import_job_progress", args=[job.pk])).json()
    assert progress["can_retry"] and progress["stalled"].startswith("已 61 秒没有进展")

    response = client.post(reverse("villages:import_job_retry", args=[job.pk]), follow=True)

    job.refresh_from_db()
    assert (job.status, job.attempts) == (Status.DONE, 1)
    assert [str(m) for m in response.context["messages"]] == ["已重新开始导入"]
    assert imported() == 3
    record = AuditRecord.objects.get(action="import.retry", object_id=str(job.pk))
    assert record.details["status"] == Status.RUNNING and record.details["attempts"] == 1
    # Sent again once more (a late duplicate): nothing is imported twice.
    import_jobs.import_job_run(job_id=job.pk)
    assert imported() == 3


def test_a_live_import_cannot_be_retried(register, login):
    client = login(register.accountant_a)
    job = age(new_job(register), 1, status=Status.RUNNING, attempts=1, task_id="live")
    page = client.get(reverse("villages:import_job", args=[job.pk])).content.decode()
    assert 'id="import-retry" hidden' in page

    response = client.post(reverse("villages:import_job_retry", args=[job.pk]), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "该导入已经结束或正在进行，不能重新导入"
    ]
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Status.RUNNING, 1) and imported() == 0


def test_a_refused_import_is_corrected_and_uploaded_again_not_retried(register, login):
    client = login(register.accountant_a)
    rows = many_good_rows(3)
    rows[1][0] = "A001"  # already registered
    job = new_job(register)
    ImportJob.objects.filter(pk=job.pk).update(content=xlsx(rows).getvalue())
    import_jobs.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Status.FAILED and not import_jobs.has_file(job)

    assert not import_jobs.job_can_retry(job)
    page = client.get(reverse("villages:import_job", args=[job.pk])).content.decode()
    assert 'id="import-retry" hidden' in page and "请改正后重新上传" in page
    client.post(reverse("villages:import_job_retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == Status.FAILED


def test_only_the_user_who_started_it_may_retry(register, login):
    job = age(new_job(register), 3600, status=Status.RUNNING, attempts=1, task_id="lost")
    for user in (register.accountant_b, register.admin, register.staff_east):
        assert (
            login(user).post(reverse("villages:import_job_retry", args=[job.pk])).status_code == 404
        )
    with pytest.raises(PermissionDenied, match="只有发起导入的用户"):
        import_jobs.import_job_retry(actor=register.accountant_b, job=job)
    job.refresh_from_db()
    assert job.status == Status.RUNNING and not AuditRecord.objects.filter(action="import.retry")


def test_a_job_lost_by_the_queue_offers_retry_after_the_overdue_wait(register, settings, login):
    """Queued with a task id, but its message never reached a worker (Redis lost it)."""
    settings.JOB_OVERDUE_SECONDS = 60
    client = login(register.accountant_a)
    fresh = age(new_job(register), 5, task_id="sent")
    assert not import_jobs.job_can_retry(fresh)
    job = age(new_job(register), 90, task_id="sent")
    progress = client.get(reverse("villages:import_job_progress", args=[job.pk])).json()
    assert progress["can_retry"]
    assert progress["stalled"].startswith("已排队 90 秒仍未开始：任务可能已在队列中丢失")
