"""Sending a Celery task without letting a broken broker hold the caller.

`send_bounded` publishes in a thread of its own and waits at most BROKER_PUBLISH_TIMEOUT
seconds: a broker that refuses connections fails in milliseconds, one that accepts them
and never answers (or a result store that hangs) no longer holds a page for minutes.
The thread is a daemon: a command that gave up on the broker ends at once, without
waiting at exit for the abandoned publish (`run_dividend` took 19.6 s with a hung broker).
The sender never waits for a task's result (the job's row carries its progress), so it
does not subscribe to one (`ignore_result`): with the broker down, no result consumer
fails, retries and logs a traceback. A send that fails is one log line.
docs/deployment.md, "Timeouts and health check".
"""

import contextlib
import gc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def send_bounded(task, args=(), *, on_sent=None, timeout=None, label=""):
    """`task.apply_async(args)`; the AsyncResult, or None when it could not be sent in
    time. Eager mode (no broker): runs the task right here; its errors propagate.

    `on_sent(result)` runs once the message is on the broker: in the caller's thread when
    that happened in time, otherwise in the publishing thread when it finally does (its
    database connection is closed afterwards). `label` names the job in the log line.
    """
    if task.app.conf.task_always_eager:
        result = task.apply_async(args)
        if on_sent:
            on_sent(result)
        return result
    timeout = settings.BROKER_PUBLISH_TIMEOUT if timeout is None else timeout
    label = label or task.name
    guard = threading.Lock()
    done = threading.Event()
    state = {"abandoned": False, "result": None, "error": None}

    def publish():
        try:
            result = task.apply_async(args, ignore_result=True)
        except Exception as error:  # refused, reset, timed out, ...
            state["error"] = error
            done.set()
            return
        with guard:
            state["result"] = result
            late = state["abandoned"]
        done.set()
        if late and on_sent:
            try:
                on_sent(result)
            finally:
                connection.close()

    threading.Thread(target=publish, name="publish", daemon=True).start()
    if not done.wait(timeout):
        with guard:
            state["abandoned"] = state["result"] is None
        if state["abandoned"]:
            logger.warning("%s not sent: the job queue did not answer within %ss", label, timeout)
            return None
    error = state["error"]
    if error is not None:
        logger.warning(
            "%s not sent: the job queue is unreachable (%s: %s)",
            label,
            error.__class__.__name__,
            str(error).splitlines()[0] if str(error) else "",
        )
        return None
    result = state["result"]
    if on_sent:
        on_sent(result)
    return result


# --- One job mechanism: claim, heartbeat, sweep, attempts, retry --------------------------
#
# Every background job of the product is a row (a dividend run, an import job) with the
# same fields: status (queued → running → an end), progress, heartbeat_at, attempts,
# task_id, created_at. A `JobKind` names the model and how a job of that kind is sent
# and failed; the functions below are the whole life of a job, the same for every kind
# (docs/deployment.md, "Background jobs").


@dataclass(frozen=True)
class JobKind:
    """One kind of background job: its model, its task and how it ends when it must fail."""

    label: str  # in the log: "dividend run", "import job"
    model: type
    # The Celery task taking the job's id (a callable: the task module imports the app).
    task: Callable[[], object]
    # {field: value} that mark a job failed with `message` (status, error, …).
    failed_fields: Callable[[str], dict]
    # The reason given when the job was interrupted JOB_MAX_ATTEMPTS times.
    interrupted_message: Callable[[], str]
    # {field: value} set when a task takes the job, and when a person sends it again.
    claimed_fields: dict = field(default_factory=dict)
    retried_fields: dict = field(default_factory=dict)
    # Whether a failed job may be sent again as it is (e.g. its file is still there).
    failed_can_retry: Callable[[object], bool] = lambda job: True
    queued: str = "queued"
    running: str = "running"
    failed: str = "failed"

    @property
    def active(self):
        return (self.queued, self.running)


def last_sign_of_life(job):
    return job.heartbeat_at or job.created_at


def _seconds(name):
    return timedelta(seconds=getattr(settings, name))


def is_stale(job, kind, *, now=None):
    """Queued or running with no sign of life for JOB_STALE_SECONDS: no live task has it
    (a task beats at every progress step, far more often). The sweep acts on these."""
    now = now or timezone.now()
    return job.status in kind.active and last_sign_of_life(job) < now - _seconds(
        "JOB_STALE_SECONDS"
    )


def is_overdue(job, kind, *, now=None):
    """Queued or running with no sign of life for JOB_OVERDUE_SECONDS: the job may have
    stalled (its worker killed, its message lost). The page says so and offers to send it
    again; the sweep waits until it is stale."""
    now = now or timezone.now()
    return job.status in kind.active and last_sign_of_life(job) < now - _seconds(
        "JOB_OVERDUE_SECONDS"
    )


def never_sent(job, kind):
    return job.status == kind.queued and not job.task_id


def can_retry(job, kind, *, now=None):
    """Whether a person may send the job again: failed (and the kind allows it), queued
    but never sent, or queued or running with its heartbeat overdue."""
    if job.status == kind.failed:
        return kind.failed_can_retry(job)
    return never_sent(job, kind) or is_overdue(job, kind, now=now)


@dataclass(frozen=True)
class Stall:
    """What the page says about a job that may have stalled."""

    queued: bool  # still queued (its message may be lost) rather than running
    never_sent: bool  # the queue was unreachable when it was sent
    silent_seconds: int  # since the last sign of life
    swept_at: object  # when the sweep will send it again (or fail it), at the latest


def stall(job, kind, *, now=None):
    """A `Stall` when the job is active and overdue or never sent, else None."""
    now = now or timezone.now()
    if job.status not in kind.active:
        return None
    unsent = never_sent(job, kind)
    if not unsent and not is_overdue(job, kind, now=now):
        return None
    alive_at = last_sign_of_life(job)
    wait = _seconds("JOB_UNSENT_SECONDS") if unsent else _seconds("JOB_STALE_SECONDS")
    return Stall(
        queued=job.status == kind.queued,
        never_sent=unsent,
        silent_seconds=max(0, int((now - alive_at).total_seconds())),
        # The sweep runs every JOB_SWEEP_INTERVAL seconds: at most one interval later.
        swept_at=max(alive_at + wait, now) + _seconds("JOB_SWEEP_INTERVAL"),
    )


def stall_message(stall_, *, action):
    """What the page says about a `Stall`: what may have happened, when the sweep acts,
    and that `action` (the retry button's label) may be pressed now. Times are local."""
    at = timezone.localtime(stall_.swept_at).strftime("%H:%M")
    if stall_.never_sent:
        return _(
            "任务队列暂时无法连接，任务还没有发出。已保存，系统会在 %(time)s 前自动重新发送；"
            "也可以点“%(action)s”。"
        ) % {"time": at, "action": action}
    if stall_.queued:
        return _(
            "已排队 %(seconds)s 秒仍未开始：任务可能已在队列中丢失，或后台程序没有运行。"
            "系统会在 %(time)s 前自动重新发送；也可以现在点“%(action)s”。"
        ) % {"seconds": stall_.silent_seconds, "time": at, "action": action}
    return _(
        "已 %(seconds)s 秒没有进展：后台程序可能已中断。系统会在 %(time)s 前自动重新发送"
        "（多次中断则标为失败并说明原因）；也可以现在点“%(action)s”。"
    ) % {"seconds": stall_.silent_seconds, "time": at, "action": action}


def send(kind, job_id):
    """Send the job's task now; True when the queue took it (eager: ran here, errors
    propagate), False when it could not be reached in time: the job stays queued with no
    task id and the sweep sends it when the queue is back."""

    def record(result):
        kind.model.objects.filter(pk=job_id, status__in=kind.active).update(
            task_id=result.id or "", heartbeat_at=timezone.now()
        )

    result = send_bounded(kind.task(), (job_id,), on_sent=record, label=f"{kind.label} {job_id}")
    return result is not None


def enqueue(kind, job_id):
    """`send` once the job's row is committed: now (and its answer) outside a transaction,
    at commit (answer None) inside one."""
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: send(kind, job_id))
        return None
    return send(kind, job_id)


def claim(kind, job_id):
    """Take the job for this task, under its row lock, BEFORE reading its status: a
    duplicate task waits here while another one writes, then finds the job finished and
    leaves it alone. A job already started JOB_MAX_ATTEMPTS times is failed with the
    kind's reason instead (a job that kills its worker cannot loop for ever).
    True when this task now runs the job."""
    with transaction.atomic():
        job = kind.model.objects.select_for_update().only("status", "attempts").get(pk=job_id)
        if job.status not in kind.active:
            return False  # finished, or failed (only a person sends it again)
        if job.attempts >= settings.JOB_MAX_ATTEMPTS:
            kind.model.objects.filter(pk=job_id).update(
                heartbeat_at=timezone.now(), **kind.failed_fields(kind.interrupted_message())
            )
            return False
        # Conditional as well: SQLite has no row lock (select_for_update does nothing).
        return bool(
            kind.model.objects.filter(pk=job_id, status__in=kind.active).update(
                status=kind.running,
                attempts=job.attempts + 1,
                heartbeat_at=timezone.now(),
                **kind.claimed_fields,
            )
        )


def beat(kind, job_id, **fields):
    """The job's sign of life (with its progress, say), outside the task's writing
    transaction so a polling page sees it at once; only while it runs: a duplicate task
    never touches a finished job."""
    kind.model.objects.filter(pk=job_id, status=kind.running).update(
        heartbeat_at=timezone.now(), **fields
    )


def lock_running(kind, job_id):
    """The job's row under its lock while it still runs, else None: a task writes its
    result only after this, inside its writing transaction, so a duplicate task that
    finished first is never overwritten."""
    job = kind.model.objects.select_for_update().get(pk=job_id)
    return job if job.status == kind.running else None


def fail_for(kind, job_id, error, *, database_message):
    """Fail the job for `error` (raised by its work, not a transient database error) with
    what the page may show: a ValidationError's messages; `database_message` for a
    database error, whose raw text goes to the log only; else the error's own text.
    Called in the `except` block (the log line carries the traceback)."""
    if isinstance(error, ValidationError):
        # A ValidationError's str() is a list repr (['…']); the page shows the messages.
        message = "；".join(error.messages)
    elif isinstance(error, DatabaseError):
        logger.exception("%s %s failed on a database error", kind.label, job_id)
        message = database_message
    else:
        logger.exception("%s %s failed", kind.label, job_id)
        message = str(error) or error.__class__.__name__
    return fail(kind, job_id, message)


def fail(kind, job_id, message):
    """Mark an active job failed with `message`, even on a connection that has just broken
    (it is replaced once); never raises. True when it was written."""
    for _attempt in range(2):
        try:
            kind.model.objects.filter(pk=job_id, status__in=kind.active).update(
                heartbeat_at=timezone.now(), **kind.failed_fields(message)
            )
            return True
        except DatabaseError:
            logger.warning("%s %s: could not record the failure", kind.label, job_id, exc_info=True)
            if connection.in_atomic_block:
                return False
            drop_broken_connection()
    return False


def retry(kind, job_id):
    """Put a failed, unsent or stalled job back in the queue (attempts 0), under its row
    lock; the caller checks who may, audits and calls `enqueue`. Raises ValidationError
    when the job may not be sent again. Returns (the job, what it was before)."""
    with transaction.atomic():
        job = kind.model.objects.select_for_update().get(pk=job_id)
        if not can_retry(job, kind):
            raise ValidationError(
                _("当前状态（%(status)s）的任务不能重新开始") % {"status": job.get_status_display()}
            )
        previous = {"status": job.status, "attempts": job.attempts}
        kind.model.objects.filter(pk=job_id).update(
            status=kind.queued,
            attempts=0,
            task_id="",
            heartbeat_at=timezone.now(),
            **kind.retried_fields,
        )
    job.refresh_from_db()
    return job, previous


def sweep(kind, *, now=None):
    """Send again the jobs queued or running with no live task or, after JOB_MAX_ATTEMPTS
    started tasks, fail them with the kind's reason. A job whose row is locked is being
    written by a live task and is skipped; a queued job that never reached the queue
    (the broker was down) is sent after JOB_UNSENT_SECONDS.
    Returns {"resent": [ids], "failed": [ids]}."""
    now = now or timezone.now()
    stale_before = now - _seconds("JOB_STALE_SECONDS")
    unsent_before = now - _seconds("JOB_UNSENT_SECONDS")
    candidates = (
        kind.model.objects.filter(status__in=kind.active)
        .alias(alive_at=Coalesce("heartbeat_at", "created_at"))
        .filter(
            Q(alive_at__lt=stale_before)
            | Q(status=kind.queued, task_id="", alive_at__lt=unsent_before)
        )
    )
    resent, failed = [], []
    for job_id in list(candidates.values_list("pk", flat=True)):
        with transaction.atomic():
            job = (
                candidates.select_for_update(skip_locked=True)
                .only("attempts")
                .filter(pk=job_id)
                .first()
            )
            if job is None:
                continue  # a live task holds it, or it moved on meanwhile
            if job.attempts >= settings.JOB_MAX_ATTEMPTS:
                kind.model.objects.filter(pk=job_id).update(
                    heartbeat_at=now, **kind.failed_fields(kind.interrupted_message())
                )
                failed.append(job_id)
            else:
                # The next sweep waits a whole period again before it looks at this job.
                kind.model.objects.filter(pk=job_id).update(heartbeat_at=now)
                resent.append(job_id)
    for job_id in resent:
        if not send(kind, job_id):
            break  # the queue is down: the next sweep tries again
    if resent or failed:
        logger.warning("%s sweep: re-sent %s, failed %s", kind.label, resent, failed)
    return {"resent": resent, "failed": failed}


def sweep_all(*, now=None):
    """The sweep of every kind named in settings.JOB_KINDS (Celery beat's `sweep-jobs`)."""
    return {
        kind.label: sweep(kind, now=now)
        for kind in (import_string(path) for path in settings.JOB_KINDS)
    }


# --- A task's memory and database connection ---------------------------------------------


@contextlib.contextmanager
def cyclic_gc_paused():
    """Pause Python's cyclic garbage collector for a block (restored after, also on error).

    Computing and writing 100,000 lines allocates millions of small objects and no
    reference cycles; the collector would walk them again and again for nothing
    (about 15% of the computation's CPU time). Plain reference counting still frees
    everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- A task's database connection ---------------------------------------------------------

# The database went away, timed out or dropped the connection: nothing was written and
# the same work may well succeed on a new connection (the task retries it).
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)
DATABASE_RETRIES = 5  # 5, 10, 20, 40, 60 seconds apart


def retry_pause(retries):
    return min(60, 5 * 2**retries)


def drop_broken_connection():
    """Close this thread's database connection after an error that may have broken it,
    so that the next query opens a fresh one. Not inside a transaction (whose caller
    still owns the connection); never raises."""
    if connection.in_atomic_block:
        return
    try:
        connection.close()
    except DatabaseError:
        logger.debug("closing the broken connection failed", exc_info=True)


def run_task(task, kind, job_id, work, *, interrupted):
    """The body of a job's Celery task (bound, acks late, `max_retries=DATABASE_RETRIES`):
    `work(report)`, where `report(percent)` puts the progress in the task's state too (the
    job's row carries what the pages poll; the result backend is a bonus). A broken
    database connection is dropped and the task retried with a growing pause: nothing was
    written. When the retries run out (or in eager mode) `interrupted()` fails the job
    with a reason and the error propagates."""

    def report(percent):
        if not task.request.is_eager:
            task.update_state(state="PROGRESS", meta={"progress": percent})

    try:
        return work(report)
    except TRANSIENT_DATABASE_ERRORS as error:
        # The connection is unusable (dropped, server restarted, statement timed out):
        # drop it, so the next attempt opens a fresh one.
        drop_broken_connection()
        if task.request.is_eager or task.request.retries >= task.max_retries:
            interrupted()
            raise
        logger.warning(
            "%s %s: database connection lost (%s); retrying", kind.label, job_id, error.__class__
        )
        raise task.retry(exc=error, countdown=retry_pause(task.request.retries)) from error


@shared_task(name="pinghu_points.jobs.sweep_jobs", acks_late=False, ignore_result=True)
def sweep_jobs():
    """Re-send or fail, with a reason, the jobs of every kind that no live task runs."""
    return sweep_all()
