"""The award job, on the one job mechanism (`pinghu_points.jobs`). Thin: the services
do the work; the sweep is the one sweep of every job (`pinghu_points.jobs.sweep_jobs`)."""

from celery import shared_task

from pinghu_points import jobs

from . import services


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=jobs.DATABASE_RETRIES
)
def compute_award_run(self, run_id):
    run = jobs.run_task(
        self,
        services.AWARD_JOBS,
        run_id,
        lambda report: services.award_run_compute(run_id=run_id, progress=report),
        interrupted=lambda: services.award_run_interrupted(run_id=run_id),
    )
    return {"run": run.pk, "status": run.status, "progress": run.progress}
