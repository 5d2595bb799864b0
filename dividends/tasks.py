from celery import shared_task

from . import services


@shared_task(bind=True, acks_late=True)
def compute_dividend_run(self, run_id):
    """Thin: the service does the work and is safe to run twice."""

    def progress(percent):
        # The run row carries the progress the pages poll; the result backend is a bonus.
        if not self.request.is_eager:
            self.update_state(state="PROGRESS", meta={"progress": percent})

    run = services.dividend_run_compute(run_id=run_id, progress=progress)
    return {"run": run.pk, "status": run.status, "progress": run.progress}
