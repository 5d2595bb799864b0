"""The award job, on the one job mechanism (`pinghu_points.jobs`). Thin: the services
do the work; the sweep is the one sweep of every job (`pinghu_points.jobs.sweep_jobs`)."""

import logging

from celery import shared_task

from pinghu_points import jobs

from . import services

logger = logging.getLogger(__name__)


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=jobs.DATABASE_RETRIES
)
def compute_award_run(self, run_id):
    def progress(percent):
        # The run row carries the progress the pages poll; the result backend is a bonus.
        if not self.request.is_eager:
            self.update_state(state="PROGRESS", meta={"progress": percent})

    try:
        run = services.award_run_compute(run_id=run_id, progress=progress)
    except jobs.TRANSIENT_DATABASE_ERRORS as error:
        # The connection is unusable: drop it, so the next attempt opens a fresh one.
        jobs.drop_broken_connection()
        if self.request.is_eager or self.request.retries >= self.max_retries:
            services.award_run_interrupted(run_id=run_id)
            raise
        logger.warning(
            "award run %s: database connection lost (%s); retrying", run_id, error.__class__
        )
        raise self.retry(exc=error, countdown=jobs.retry_pause(self.request.retries)) from error
    return {"run": run.pk, "status": run.status, "progress": run.progress}
