"""The dividend job (docs/dividends.md, "The job"). Thin: the services do the work.

`compute_dividend_run` is safe to run twice and acknowledged only when it ends
(settings: acks late, rejected when the worker is lost), so a killed worker's task goes
back on the queue; a broken database connection is retried here with a growing pause.
The sweep of stalled runs is the one sweep of every job (`pinghu_points.jobs.sweep_jobs`,
on Celery beat's schedule).
"""

from celery import shared_task

from pinghu_points import jobs

from . import run_jobs

DATABASE_RETRIES = jobs.DATABASE_RETRIES


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=DATABASE_RETRIES)
def compute_dividend_run(self, run_id):
    run = jobs.run_task(
        self,
        run_jobs.RUN_JOBS,
        run_id,
        lambda report: run_jobs.dividend_run_compute(run_id=run_id, progress=report),
        interrupted=lambda: run_jobs.dividend_run_interrupted(run_id=run_id),
    )
    return {"run": run.pk, "status": run.status, "progress": run.progress}


@shared_task(acks_late=False, ignore_result=True)
def sweep_dividend_runs():
    """The dividend runs' part of the sweep (kept for a beat schedule of an older release)."""
    return run_jobs.dividend_runs_sweep()
