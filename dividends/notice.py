"""The online 公示 (public notice) of an approved dividend run (docs/villagers.md, "分红公示").

The period starts the day the run is approved (local date of `approved_at`) and lasts the
cooperative's `notice_days` (the same rule as the exported notice, `exports.notice_period`).
While it runs the run is "under notice": it cannot be marked paid
(`services.dividend_run_mark_paid`). The signed public link of the QR code works only
until the period ends.
"""

from django.utils import timezone

from pinghu_points.links import dated_payload, dated_token
from villages.models import mask_name

from .exports import notice_period
from .models import DividendRun

SIGNING_SALT = "dividends.notice"


def today():
    """The local date; a function so tests can pin it."""
    return timezone.localdate()


def notice_window(run):
    """(first day, last day) of the run's 公示, or None for a run not approved."""
    if run.status != DividendRun.Status.APPROVED or run.approved_at is None:
        return None
    return notice_period(run=run, starts_on=timezone.localdate(run.approved_at))


def under_notice(run, on=None):
    """Whether the run is approved and its 公示 period includes `on` (today by default)."""
    window = notice_window(run)
    if window is None:
        return False
    on = on or today()
    return window[0] <= on <= window[1]


def notice_ended(run, on=None):
    window = notice_window(run)
    return window is not None and (on or today()) > window[1]


def public_token(run):
    """The signed token of the QR link: the run's id and the last day of the period."""
    _first, last = notice_window(run)
    return dated_token({"run": run.pk}, until=last, salt=SIGNING_SALT)


def run_id_from_token(token, on=None):
    """The run id a token names while its period lasts, else None (bad, forged or expired)."""
    data = dated_payload(token, salt=SIGNING_SALT, on=on or today())
    try:
        return int(data["run"]) if data is not None else None
    except (KeyError, TypeError, ValueError):
        return None


def line_matches(line, query):
    """Whether a notice line answers a villager's look-up: the household number (or part of
    it), the head's full name, or the name as the notice prints it (王*国). The page shows
    only the masked name either way, as the paper notice does."""
    query = "".join((query or "").split())
    if not query:
        return False
    return (
        query.casefold() in line.household_number.casefold()
        or query == (line.head_name or "").strip()
        or query == mask_name(line.head_name)
    )
