"""Excel imports started from a page: run at once, or as a Celery task for a large file.

Both imports (the register, villages/importing.py, and the inspection sheet,
communities/importing.py) go through here from their pages. A file larger than
IMPORT_BACKGROUND_BYTES is kept in an `ImportJob` row (private: the database, never
under a public URL) and imported by `tasks.import_job_run`; the page polls the job's
progress. The job is marked done in the import's own transaction, so the job and the
imported rows are committed together or not at all, and a task delivered twice (a
worker lost, a retry) imports once. The file is emptied once the task has run.
A refused import, small or large, keeps its errors (the first IMPORT_ERRORS_KEPT) for
the downloadable error report.

A job is a job like a dividend run (pinghu_points/jobs.py, `IMPORT_JOBS`): taken under its
row lock, a heartbeat at every progress step, the sweep re-sends it when its worker died
(or fails it with a reason after JOB_MAX_ATTEMPTS), and "重新导入" sends it again.
"""

import io
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.services import audit_record
from pinghu_points import jobs
from pinghu_points.spreadsheets import RowError, SpreadsheetImportError, file_size, too_large

from .models import ImportJob

logger = logging.getLogger(__name__)


class JobAlreadyFinished(Exception):
    """Another delivery of the task finished the job first: this one must not import."""


def _import_function(kind):
    """The importer of a job's kind, named in settings.IMPORT_FUNCTIONS: the inspection
    sheet's is the communities app's, a layer above this one (docs/architecture.md)."""
    return import_string(settings.IMPORT_FUNCTIONS[kind])


def _arguments(job, file, user):
    if job.kind == ImportJob.Kind.REGISTER:
        arguments = {
            "cooperative": job.cooperative,
            "file": file,
            "actor": user,
            "effective_on": job.effective_on,
        }
        if not job.confirmed:
            arguments["dry_run"] = True
        return arguments
    return {"community": job.community, "file": file, "actor": user}


def _kept_errors(errors):
    return [error.as_dict() for error in errors[: settings.IMPORT_ERRORS_KEPT]]


def import_job_refused(*, kind, user, file_name, errors, cooperative=None, community=None):
    """Keep the errors of an import refused on the spot, for the error report."""
    return ImportJob.objects.create(
        kind=kind,
        user=user,
        cooperative=cooperative,
        community=community,
        file_name=file_name[:255],
        status=ImportJob.Status.FAILED,
        progress=100,
        error_count=len(errors),
        errors=_kept_errors(errors),
        finished_at=timezone.now(),
    )


def interrupted_message():
    return _(
        "导入多次中断（后台程序被重启或数据库连接中断），未导入任何数据。文件仍保存在系统中："
        "请点“重新导入”再试；如仍不成功，请联系系统管理员。"
    )


def database_lost_message():
    return _(
        "导入时数据库连接中断，未导入任何数据。文件仍保存在系统中：请点“重新导入”再试；"
        "如仍不成功，请联系系统管理员。"
    )


def _import_task():
    from .tasks import import_job_run

    return import_job_run


def _failed_fields(message):
    """A job failed for a reason that is not its file's (interrupted, database lost): its
    file is kept, so "重新导入" can send it again."""
    errors = [RowError(None, "", "", message)]
    return {
        "status": ImportJob.Status.FAILED,
        "progress": 100,
        "error_count": len(errors),
        "errors": _kept_errors(errors),
        "finished_at": timezone.now(),
    }


def has_file(job):
    """Whether the job still holds its file (it is emptied once the import has run)."""
    return ImportJob.objects.filter(pk=job.pk).exclude(content=b"").exists()


# The one job mechanism (pinghu_points/jobs.py), told what an import job is.
IMPORT_JOBS = jobs.JobKind(
    label="import job",
    model=ImportJob,
    task=_import_task,
    failed_fields=_failed_fields,
    interrupted_message=interrupted_message,
    claimed_fields={"progress": 0},
    retried_fields={"progress": 0, "error_count": 0, "errors": [], "finished_at": None},
    failed_can_retry=has_file,
    queued=ImportJob.Status.QUEUED,
    running=ImportJob.Status.RUNNING,
    failed=ImportJob.Status.FAILED,
)


def job_can_retry(job, *, now=None):
    """Whether "重新导入" is offered: a job whose import never ran (interrupted too often,
    the database lost: its file is kept), one never sent, or one whose heartbeat is
    overdue (JOB_OVERDUE_SECONDS: its worker was killed, its message lost)."""
    return jobs.can_retry(job, IMPORT_JOBS, now=now)


def job_stall(job, *, now=None):
    return jobs.stall(job, IMPORT_JOBS, now=now)


def import_job_start(
    *, kind, user, file, cooperative=None, community=None, effective_on=None, confirmed=True
):
    """Keep the file in a new job and send it to the worker (eager without a broker)."""
    file.seek(0)
    job = ImportJob.objects.create(
        kind=kind,
        user=user,
        cooperative=cooperative,
        community=community,
        effective_on=effective_on,
        confirmed=confirmed,
        file_name=(getattr(file, "name", "") or "")[:255],
        content=file.read(),
    )
    return _send(job)


def _send(job):
    # Bounded like the dividend runs: a broker that is down or never answers fails the job
    # at once with a message, instead of holding the page (a late delivery finds it failed).
    try:
        sent = jobs.send(IMPORT_JOBS, job.pk)
    except Exception:
        logger.exception("import job %s could not be sent to the queue", job.pk)
        sent = False
    if not sent:
        _finish_failed(
            job.pk,
            [RowError(None, "", "", _("后台任务队列暂时不可用，未导入任何数据，请稍后重新上传"))],
        )
    job.refresh_from_db()
    return job


@transaction.atomic
def import_job_retry(*, actor, job):
    """Put the actor's failed, unsent or stalled job back in the queue (attempts 0), audited
    as `import.retry`; call `import_job_send` afterwards. Only the user who started it."""
    if job.user_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("只有发起导入的用户可以重新导入"))
    try:
        job, previous = jobs.retry(IMPORT_JOBS, job.pk)
    except ValidationError:
        raise ValidationError(_("该导入已经结束或正在进行，不能重新导入")) from None
    audit_record(
        actor=actor,
        action="import.retry",
        target=job,
        details={**previous, "kind": job.kind, "file": job.file_name},
    )
    return job


def import_job_send(*, job):
    """Send a retried job now: True when the queue took it (eager: imported here), False
    when it is unreachable: the job stays queued with its file and the sweep sends it."""
    return jobs.send(IMPORT_JOBS, job.pk)


def import_job_run(*, job_id, report=None):
    """The task's work: import the job's file once; safe to run twice (`jobs.claim`)."""
    if not jobs.claim(IMPORT_JOBS, job_id):
        return  # done or failed already, or interrupted too often (failed with a reason)
    job = ImportJob.objects.select_related("user", "cooperative", "community").get(pk=job_id)
    file = io.BytesIO(bytes(job.content))
    file.name = job.file_name
    last = [0]

    def progress(fraction):
        # Reading is most of the work: 0–90 %; checking and saving take the rest.
        percent = min(90, int(fraction * 90))
        if percent > last[0]:
            last[0] = percent
            jobs.beat(IMPORT_JOBS, job_id, progress=percent)  # also the heartbeat
            if report:
                report(percent)

    def on_saved(result):
        locked = jobs.lock_running(IMPORT_JOBS, job_id)
        if locked is None:
            raise JobAlreadyFinished
        locked.status = ImportJob.Status.DONE
        locked.progress = 100
        locked.result = result.as_dict()
        locked.content = b""
        locked.finished_at = timezone.now()
        locked.heartbeat_at = timezone.now()
        locked.save()

    try:
        outcome = _import_function(job.kind)(
            **_arguments(job, file, job.user), progress=progress, on_saved=on_saved
        )
        if not job.confirmed:
            _finish_preview(job_id, outcome)
    except JobAlreadyFinished:
        return
    except jobs.TRANSIENT_DATABASE_ERRORS:
        raise  # nothing was written: the task retries on a new connection
    except PermissionDenied as error:
        _finish_failed(job_id, [RowError(None, "", "", str(error))])
    except SpreadsheetImportError as error:
        _finish_failed(job_id, error.errors)
    except Exception:
        logger.exception("import job %s failed", job_id)
        _finish_failed(
            job_id,
            [RowError(None, "", "", _("导入时发生意外错误，未导入任何数据，请重新上传"))],
        )


def import_job_interrupted(*, job_id):
    """The task gave up after its database connection kept breaking; the file is kept."""
    return jobs.fail(IMPORT_JOBS, job_id, database_lost_message())


def _finish_preview(job_id, preview):
    """The register is checked: what it would add waits for the confirmation (the file is
    kept for it). The made-up sample of the import page is told apart by its heads."""
    from .samples import is_sample_register

    ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.RUNNING).update(
        status=ImportJob.Status.PREVIEW,
        progress=100,
        result={**preview.as_dict(), "sample": is_sample_register(preview.head_names)},
    )


def register_preview_start(*, user, file, cooperative, effective_on=None):
    """Check a register and count what it would add, writing nothing: at once for a small
    file, as a background job for a large one. The job waits in PREVIEW for
    `register_import_confirm`, or ends FAILED with the file's errors. A new upload
    replaces the user's earlier previews for the cooperative (their files go)."""
    import_previews_expire()
    for earlier in ImportJob.objects.filter(
        kind=ImportJob.Kind.REGISTER,
        user=user,
        cooperative=cooperative,
        status=ImportJob.Status.PREVIEW,
    ):
        register_preview_cancel(job=earlier)
    size = file_size(file)
    if size > settings.IMPORT_BACKGROUND_BYTES and not too_large(size):
        return import_job_start(
            kind=ImportJob.Kind.REGISTER,
            user=user,
            file=file,
            cooperative=cooperative,
            effective_on=effective_on,
            confirmed=False,
        )
    file.seek(0)
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.REGISTER,
        user=user,
        cooperative=cooperative,
        effective_on=effective_on,
        confirmed=False,
        file_name=(getattr(file, "name", "") or "")[:255],
        content=file.read(),
    )
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def preview_hours():
    """How long a preview waits for its confirmation, for the page."""
    return max(1, settings.IMPORT_PREVIEW_SECONDS // 3600)


def _preview_expired_before(now=None):
    return (now or timezone.now()) - timedelta(seconds=settings.IMPORT_PREVIEW_SECONDS)


def preview_expired(job, *, now=None):
    return job.status == ImportJob.Status.PREVIEW and job.created_at < _preview_expired_before(now)


def _cancelled_fields():
    # The uploaded file is not kept without a confirmation: only the counts stay.
    return {"status": ImportJob.Status.CANCELLED, "content": b"", "finished_at": timezone.now()}


def register_preview_cancel(*, job):
    """Drop a preview that was not confirmed: nothing was written, its file goes.
    True when it was still waiting."""
    cancelled = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEW).update(
        **_cancelled_fields()
    )
    job.refresh_from_db()
    return bool(cancelled)


def import_previews_expire(*, now=None):
    """Cancel the previews left unconfirmed for IMPORT_PREVIEW_SECONDS, removing their
    files (Celery beat's `expire-import-previews`, and before every new preview).
    Returns how many."""
    return ImportJob.objects.filter(
        status=ImportJob.Status.PREVIEW, created_at__lt=_preview_expired_before(now)
    ).update(**_cancelled_fields())


def register_import_confirm(*, job):
    """Write the previewed register: the same all-or-nothing import, checked again (the
    register may have changed since). Small files at once, large ones in the background.
    A second confirmation of the same preview finds it taken and changes nothing; an
    expired preview is cancelled instead (its file removed): the page asks for a new
    upload. The confirmed job starts afresh as a job (attempts 0, not yet sent)."""
    if preview_expired(job):
        register_preview_cancel(job=job)
        return job
    taken = ImportJob.objects.filter(
        pk=job.pk,
        status=ImportJob.Status.PREVIEW,
        created_at__gte=_preview_expired_before(),
    ).update(
        status=ImportJob.Status.QUEUED,
        confirmed=True,
        progress=0,
        attempts=0,
        task_id="",
        heartbeat_at=timezone.now(),
    )
    job.refresh_from_db()
    if not taken:
        return job
    if len(job.content) > settings.IMPORT_BACKGROUND_BYTES:
        return _send(job)
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def _finish_failed(job_id, errors):
    """Failed with its errors, unless another delivery finished the job; the file goes."""
    ImportJob.objects.filter(
        pk=job_id, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).update(
        status=ImportJob.Status.FAILED,
        progress=100,
        error_count=len(errors),
        errors=_kept_errors(errors),
        content=b"",
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )


@dataclass
class PageOutcome:
    """What a page shows after an upload: a background job, a result, or the errors."""

    job: ImportJob | None = None  # the background job, or the refused import's record
    result: object = None
    errors: list = field(default_factory=list)
    background: bool = False


def import_from_page(*, kind, user, file, cooperative=None, community=None, effective_on=None):
    """Import now, or start a background job when the file is large (and not too large)."""
    size = file_size(file)
    if size > settings.IMPORT_BACKGROUND_BYTES and not too_large(size):
        job = import_job_start(
            kind=kind,
            user=user,
            file=file,
            cooperative=cooperative,
            community=community,
            effective_on=effective_on,
        )
        return PageOutcome(job=job, background=True)
    job = ImportJob(kind=kind, cooperative=cooperative, community=community)
    arguments = _arguments(job, file, user)
    if kind == ImportJob.Kind.REGISTER:
        arguments["effective_on"] = effective_on
    try:
        result = _import_function(kind)(**arguments)
    except SpreadsheetImportError as error:
        job = import_job_refused(
            kind=kind,
            user=user,
            file_name=getattr(file, "name", "") or "",
            errors=error.errors,
            cooperative=cooperative,
            community=community,
        )
        return PageOutcome(job=job, errors=error.errors)
    return PageOutcome(result=result)


def job_errors(job):
    """The kept errors of a job as RowErrors (for the page and the report)."""
    return [
        RowError(error["row"], error["column"], error["column_letter"], error["message"])
        for error in job.errors
    ]
