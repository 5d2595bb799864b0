"""The dividend job (docs/dividends.md, "The job"): a run waits `queued`, is `running`
while a task computes it and ends `computed` or `failed` with a reason the accountant can
act on. Claim, heartbeat, sweep, attempts and retry are the one job mechanism of
pinghu_points/jobs.py; `RUN_JOBS` tells it what a dividend run is. What a household gets
is the dividend's rules (`services.compute_lines`); this module sends, runs and writes it.
"""

import itertools
import json
import logging

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit_record
from pinghu_points import jobs

from .models import DividendLine, DividendRun
from .services import ZERO, Line, _require_manager, compute_lines

logger = logging.getLogger(__name__)


def interrupted_message():
    return _(
        "计算多次中断（后台计算程序被重启或数据库连接中断），没有写入任何分红明细。"
        "请点“重新计算”再试；如仍不成功，请联系系统管理员。"
    )


def database_lost_message():
    return _(
        "计算时数据库连接中断，没有写入任何分红明细。请点“重新计算”再试；"
        "如仍不成功，请联系系统管理员。"
    )


def _compute_task():
    from .tasks import compute_dividend_run

    return compute_dividend_run


def _failed_fields(message):
    return {"status": DividendRun.Status.FAILED, "error": message[:2000]}


RUN_JOBS = jobs.JobKind(
    label="dividend run",
    model=DividendRun,
    task=_compute_task,
    failed_fields=_failed_fields,
    interrupted_message=interrupted_message,
    claimed_fields={"progress": 5, "error": ""},
    retried_fields={"progress": 0, "error": ""},
)


def run_is_stale(run, *, now=None):
    """Queued or running with no sign of life for JOB_STALE_SECONDS (the sweep's rule)."""
    return jobs.is_stale(run, RUN_JOBS, now=now)


def run_can_retry(run, *, now=None):
    """Whether "重新计算" (the same version, again) is offered: a failed run; a queued run
    that never reached the job queue; a queued or running run whose heartbeat is overdue
    (JOB_OVERDUE_SECONDS: its worker was killed, its message lost)."""
    return jobs.can_retry(run, RUN_JOBS, now=now)


def run_stall(run, *, now=None):
    """What the run page says about a run that may have stalled (`jobs.Stall`), or None."""
    return jobs.stall(run, RUN_JOBS, now=now)


@transaction.atomic
def dividend_run_retry(*, actor, run):
    """Put a failed, unsent or stalled run back in the queue (same version, same inputs);
    call `dividend_run_enqueue` afterwards to send it. No lines exist for such a run."""
    _require_manager(actor, run.cooperative)
    error = DividendRun.objects.values_list("error", flat=True).get(pk=run.pk)
    try:
        run, previous = jobs.retry(RUN_JOBS, run.pk)
    except ValidationError:
        locked = DividendRun.objects.get(pk=run.pk)
        raise ValidationError(
            _("当前状态（%(status)s）的方案不能重新计算") % {"status": locked.get_status_display()}
        ) from None
    previous["error"] = error
    audit_record(actor=actor, action="dividend.retry", target=run, details=previous)
    return run


def _fail(run_id, message):
    """Mark a run that has no lines failed with `message` (never raises)."""
    return jobs.fail(RUN_JOBS, run_id, message)


def dividend_run_interrupted(*, run_id):
    """The task gave up on a run after its database connection kept breaking."""
    return _fail(run_id, database_lost_message())


def dividend_runs_sweep(*, now=None):
    """Re-send, or fail with a reason, the runs no live task computes (`jobs.sweep`).
    Returns {"resent": [ids], "failed": [ids]}."""
    return jobs.sweep(RUN_JOBS, now=now)


def _claim(run_id):
    """Take the run for this task (`jobs.claim`: under the row lock, before reading the
    status). Returns the run (now running), or None when there is nothing to do."""
    if not jobs.claim(RUN_JOBS, run_id):
        return None
    return DividendRun.objects.select_related("cooperative", "created_by").get(pk=run_id)


def _set_progress(run, progress):
    # Also the heartbeat; only while running (jobs.beat).
    jobs.beat(RUN_JOBS, run.pk, progress=progress)


def dividend_run_enqueue(*, run):
    """Send the run's computation to the job queue once the run is committed
    (`pinghu_points.jobs.enqueue`).

    Outside a transaction it is sent at once and the answer says what happened: True when
    the queue took it (without a broker: computed right here, in-process, whose errors
    propagate), False when the broker could not be reached in time: the run stays queued,
    with no task id, and the sweep sends it when the queue is back. Inside a transaction
    it is sent at commit and the answer is None.
    """
    return jobs.enqueue(RUN_JOBS, run.pk)


# COPY text format: backslash, tab, newline and carriage return are escaped.
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
COPY_ROWS_PER_READ = 500  # rows handed to the driver per read (about 120 kB of text)
# Below this, bulk_create is about as fast, and it is the path the test suite exercises.
COPY_MIN_LINES = 1_000


def _copy_rows(run_id, lines):
    """Each line as one COPY text row: the run, then the Line fields in their order."""
    escape = COPY_ESCAPES
    shares_text = {}  # the JSON of each distinct holding, written once
    for (
        household_id,
        household_number,
        head_name,
        head_id_number_masked,
        community_name,
        bank_name,
        bank_account,
        shares,
        weighted_shares,
        score,
        vetoed,
        base_amount,
        incentive_amount,
        total_amount,
    ) in lines:
        key = tuple(shares.items())
        shares_json = shares_text.get(key)
        if shares_json is None:
            # What JSONField stores (json.dumps); jsonb keeps the value, not the text.
            shares_json = shares_text[key] = json.dumps(shares).translate(escape)
        row = (
            run_id,
            str(household_id),
            household_number.translate(escape),
            head_name.translate(escape),
            head_id_number_masked.translate(escape),
            community_name.translate(escape),
            bank_name.translate(escape),
            bank_account.translate(escape),
            shares_json,
            str(weighted_shares),
            str(score),
            "t" if vetoed else "f",
            str(base_amount),
            str(incentive_amount),
            str(total_amount),
        )
        yield "\t".join(row) + "\n"


class _RowReader:
    """A file to COPY from whose read() formats the next rows when the driver asks for
    them (whatever size it asks): the server inserts the rows already sent while the
    next ones are formatted, and the text of all lines is never in memory at once."""

    def __init__(self, rows):
        self.rows = rows

    def read(self, size=-1):
        return "".join(itertools.islice(self.rows, COPY_ROWS_PER_READ))


@jobs.cyclic_gc_paused()
def write_lines(run, lines):
    """Insert the run's lines in the current transaction.

    PostgreSQL (psycopg2) and many lines: one COPY, streamed, the same rows several times
    faster than INSERT. Otherwise (SQLite in development and tests, small runs, another
    driver): bulk_create.
    """
    with connection.cursor() as cursor:
        copy = getattr(cursor.cursor, "copy_expert", None)
        if connection.vendor != "postgresql" or copy is None or len(lines) < COPY_MIN_LINES:
            DividendLine.objects.bulk_create(
                [DividendLine(run=run, **line._asdict()) for line in lines], batch_size=5000
            )
            return
        meta = DividendLine._meta
        columns = ", ".join(
            connection.ops.quote_name(meta.get_field(name).column)
            for name in ("run", *Line._fields)
        )
        sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
        copy(sql, _RowReader(_copy_rows(str(run.pk), lines)))


def dividend_run_compute(*, run_id, progress=None):
    """Compute a queued run and write its lines, all in one transaction.

    Safe to run twice: the task takes the run under its row lock first (`_claim`), so a
    run that is already computed or approved is left alone, and the lines are written only
    together with the status `computed`, so a worker killed half way leaves no lines and
    the run can simply be computed again. A broken database connection (OperationalError,
    InterfaceError) propagates with the run still running: the task retries it and the
    sweep watches it. Any other error fails the run with a reason; a database error's raw
    text goes to the log, never to the page.
    """
    run = _claim(run_id)
    if run is None:
        return DividendRun.objects.get(pk=run_id)

    def report(percent):
        _set_progress(run, percent)
        if progress:
            progress(percent)

    try:
        lines = compute_lines(run=run, progress=report)
        with transaction.atomic():
            if jobs.lock_running(RUN_JOBS, run.pk) is None:
                return DividendRun.objects.get(pk=run.pk)  # a duplicate task finished first
            write_lines(run, lines)
            incentive_paid = sum((line.incentive_amount for line in lines), ZERO)
            DividendRun.objects.filter(pk=run.pk).update(
                status=DividendRun.Status.COMPUTED,
                progress=100,
                incentive_paid=incentive_paid,
                remainder=run.incentive_pool - incentive_paid,
                household_count=len(lines),
                computed_at=timezone.now(),
                heartbeat_at=timezone.now(),
            )
            audit_record(
                actor=run.created_by,
                action="dividend.compute",
                target=run,
                details={
                    "households": len(lines),
                    "base_paid": str(sum((line.base_amount for line in lines), ZERO)),
                    "incentive_paid": str(incentive_paid),
                    "remainder": str(run.incentive_pool - incentive_paid),
                },
            )
    except jobs.TRANSIENT_DATABASE_ERRORS:
        raise
    except Exception as error:
        jobs.fail_for(
            RUN_JOBS,
            run.pk,
            error,
            database_message=_(
                "计算时数据库报错，没有写入任何分红明细（详细错误已记入系统日志）。"
                "请点“重新计算”再试；如仍不成功，请联系系统管理员。"
            ),
        )
        raise
    run.refresh_from_db()
    return run
