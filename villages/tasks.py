import base64
import io
from datetime import date

from celery import shared_task

from accounts.models import User
from pinghu_points import jobs

from . import import_jobs
from .importing import RegisterImportError, household_register_import
from .models import Cooperative


@shared_task
def import_households(cooperative_code, filename, content_b64, actor_id, effective_on=None):
    """The register import for scripts and big files; the rules are all in the service.

    Arguments are JSON-friendly (the file as base64, the date as YYYY-MM-DD); the
    result is a dict so a caller can show the errors without importing Python classes.
    """
    cooperative = Cooperative.objects.get(code=cooperative_code)
    actor = User.objects.get(pk=actor_id) if actor_id else None
    file = io.BytesIO(base64.b64decode(content_b64))
    file.name = filename
    try:
        result = household_register_import(
            cooperative=cooperative,
            file=file,
            actor=actor,
            effective_on=date.fromisoformat(effective_on) if effective_on else None,
        )
    except RegisterImportError as error:
        return {"ok": False, "errors": [line.as_dict() for line in error.errors]}
    return {"ok": True, **result.as_dict()}


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=jobs.DATABASE_RETRIES
)
def import_job_run(self, job_id):
    """A page's large Excel import; all the work is in import_jobs.import_job_run.

    Safe to run twice; a broken database connection is retried with a growing pause, as
    for a dividend run, and then fails the job with a reason (its file kept)."""

    jobs.run_task(
        self,
        import_jobs.IMPORT_JOBS,
        job_id,
        lambda report: import_jobs.import_job_run(job_id=job_id, report=report),
        interrupted=lambda: import_jobs.import_job_interrupted(job_id=job_id),
    )
    return {"job": job_id}


@shared_task(name="villages.tasks.import_previews_expire", ignore_result=True)
def import_previews_expire():
    """Cancel the register previews nobody confirmed in time; their files go."""
    return import_jobs.import_previews_expire()
