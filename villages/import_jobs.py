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
"""

import io
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from pinghu_points.spreadsheets import RowError, SpreadsheetImportError, file_size, too_large

from .models import ImportJob

logger = logging.getLogger(__name__)


class JobAlreadyFinished(Exception):
    """Another delivery of the task finished the job first: this one must not import."""


def _import_function(kind):
    if kind == ImportJob.Kind.REGISTER:
        from .importing import household_register_import

        return household_register_import
    from communities.importing import score_event_import

    return score_event_import


def _arguments(job, file, user):
    if job.kind == ImportJob.Kind.REGISTER:
        return {
            "cooperative": job.cooperative,
            "file": file,
            "actor": user,
            "effective_on": job.effective_on,
        }
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


def import_job_start(*, kind, user, file, cooperative=None, community=None, effective_on=None):
    """Keep the file in a new job and send it to the worker (eager without a broker)."""
    from pinghu_points.jobs import send_bounded

    from .tasks import import_job_run

    file.seek(0)
    job = ImportJob.objects.create(
        kind=kind,
        user=user,
        cooperative=cooperative,
        community=community,
        effective_on=effective_on,
        file_name=(getattr(file, "name", "") or "")[:255],
        content=file.read(),
    )
    # Bounded like the dividend runs: a broker that is down or never answers fails the job
    # at once with a message, instead of holding the page (a late delivery finds it failed).
    try:
        sent = send_bounded(import_job_run, (job.pk,)) is not None
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


def import_job_run(*, job_id, report=None):
    """The task's work: import the job's file once; safe to run twice."""
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).update(status=ImportJob.Status.RUNNING, progress=0)
    if not claimed:
        return  # done or failed already
    job = ImportJob.objects.select_related("user", "cooperative", "community").get(pk=job_id)
    file = io.BytesIO(bytes(job.content))
    file.name = job.file_name
    last = [0]

    def progress(fraction):
        # Reading is most of the work: 0–90 %; checking and saving take the rest.
        percent = min(90, int(fraction * 90))
        if percent > last[0]:
            last[0] = percent
            ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.RUNNING).update(
                progress=percent
            )
            if report:
                report(percent)

    def on_saved(result):
        locked = ImportJob.objects.select_for_update().get(pk=job_id)
        if locked.status != ImportJob.Status.RUNNING:
            raise JobAlreadyFinished
        locked.status = ImportJob.Status.DONE
        locked.progress = 100
        locked.result = result.as_dict()
        locked.content = b""
        locked.finished_at = timezone.now()
        locked.save()

    try:
        _import_function(job.kind)(
            **_arguments(job, file, job.user), progress=progress, on_saved=on_saved
        )
    except JobAlreadyFinished:
        return
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
