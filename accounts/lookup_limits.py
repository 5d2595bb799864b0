"""Look-ups by a secret number: throttled per caller, stopped after a series of misses.

A look-up that answers whether a whole number (an ID number, a phone, a bank account) is
somebody's is an oracle for the digits a list hides: try every candidate until one is
found. Each such look-up is therefore one audit line (`details["found"]` says whether it
found anyone), and before each one `lookup_refusal` reads the caller's recent lines:

- more than the rate (`…_RATE`, e.g. 60 an hour) → refused for a while (`throttled`);
- a series of misses (`…_MISSES`, e.g. 10 a day) → refused until the oldest of them ages
  out of the window (`blocked`), and the block is written to the audit trail once, when
  it starts (`LookupLimit.blocked_action`): the admin's home page counts those records.

The caller is the login (session and HTTP Basic alike) or the API token, by the name the
audit trail keeps (`actor_username`), so every channel counts against one budget. The
counting reads the audit trail itself: shared by every web process, nothing to expire.
Used by the bank's ID look-up (banking.services.bank_id_lookup) and the household search
by a whole number (villages.services.household_search). docs/bank.md, docs/architecture.md.
"""

import math
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AuditRecord
from .services import audit_record

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\w*\s*$")


def parse_rate(text):
    """ "60/hour" -> (60, timedelta(hours=1)); "10/day", "5/10m" likewise."""
    match = RATE.match(text or "")
    if match is None:
        raise ValueError(f"not a rate: {text!r} (e.g. 60/hour)")
    count, multiple, unit = int(match[1]), int(match[2] or 1), match[3]
    return count, timedelta(seconds=multiple * PERIODS[unit])


@dataclass(frozen=True)
class LookupLimit:
    action: str  # the audit action every look-up writes
    blocked_action: str  # written once when a series of misses starts a block
    rate_setting: str  # name of the setting: "N/period" look-ups per caller
    misses_setting: str  # name of the setting: "N/period" misses per caller

    @property
    def rate(self):
        return parse_rate(getattr(settings, self.rate_setting))

    @property
    def misses(self):
        return parse_rate(getattr(settings, self.misses_setting))


@dataclass(frozen=True)
class Refusal:
    code: str  # "lookup_throttled" or "lookup_blocked"
    retry_after: int  # seconds
    message: str


class LookupRefused(Exception):
    def __init__(self, refusal):
        super().__init__(refusal.message)
        self.refusal = refusal


def _caller(actor):
    return actor.get_username() if getattr(actor, "is_authenticated", False) else ""


def _recent(limit, actor, *, since, misses_only=False):
    records = AuditRecord.objects.filter(
        action=limit.action, actor_username=_caller(actor), at__gte=since
    )
    if misses_only:
        records = records.filter(details__found=False)
    return records.order_by("-at").values_list("at", flat=True)


def _wait(times, count, period, now):
    """Seconds until the `count`-th newest of `times` leaves the window."""
    return max(1, math.ceil((times[count - 1] + period - now).total_seconds()))


def lookup_refusal(*, limit, actor, now=None):
    """Why the caller may not look up now, or None."""
    now = now or timezone.now()
    miss_count, miss_period = limit.misses
    misses = list(_recent(limit, actor, since=now - miss_period, misses_only=True)[:miss_count])
    if len(misses) >= miss_count:
        wait = _wait(misses, miss_count, miss_period, now)
        return Refusal(
            code="lookup_blocked",
            retry_after=wait,
            message=_(
                "查询已暂停：%(hours)s 小时内有 %(count)s 次没有查到，已通知街道管理员。"
                "请核对号码，约 %(minutes)s 分钟后再试。"
            )
            % {
                "hours": _hours(miss_period),
                "count": miss_count,
                "minutes": math.ceil(wait / 60),
            },
        )
    rate_count, rate_period = limit.rate
    recent = list(_recent(limit, actor, since=now - rate_period)[:rate_count])
    if len(recent) >= rate_count:
        wait = _wait(recent, rate_count, rate_period, now)
        return Refusal(
            code="lookup_throttled",
            retry_after=wait,
            message=_("查询太频繁：每 %(period)s 最多 %(count)s 次，请约 %(minutes)s 分钟后再试。")
            % {
                "period": _period_words(rate_period),
                "count": rate_count,
                "minutes": math.ceil(wait / 60),
            },
        )
    return None


def _hours(period):
    return max(1, round(period.total_seconds() / 3600))


def _period_words(period):
    seconds = period.total_seconds()
    if seconds >= 86400:
        return _("%(days)s 天") % {"days": round(seconds / 86400)}
    if seconds >= 3600:
        return _("%(hours)s 小时") % {"hours": round(seconds / 3600)}
    return _("%(minutes)s 分钟") % {"minutes": max(1, round(seconds / 60))}


def lookup_check(*, limit, actor):
    """Raise LookupRefused when the caller may not look up now."""
    refusal = lookup_refusal(limit=limit, actor=actor)
    if refusal is not None:
        raise LookupRefused(refusal)


def lookup_recorded(*, limit, actor, found, target=None, details=None):
    """Record one look-up (the audit line the limits count); a miss that completes a series
    writes the block as well, once: the admin's flag."""
    audit_record(
        actor=actor,
        action=limit.action,
        target=target,
        details={**(details or {}), "found": bool(found)},
    )
    if found:
        return
    miss_count, miss_period = limit.misses
    now = timezone.now()
    misses = list(_recent(limit, actor, since=now - miss_period, misses_only=True)[:miss_count])
    if len(misses) == miss_count:
        # The series is complete now. (One miss more than the limit can only land while a
        # block holds, and a held block refuses before the look-up.)
        audit_record(
            actor=actor,
            action=limit.blocked_action,
            details={
                "misses": miss_count,
                "hours": _hours(miss_period),
                "until": (misses[-1] + miss_period).isoformat(),
                **({"bank": details["bank"]} if details and "bank" in details else {}),
            },
        )


def blocked_recently(*, actions, days=7):
    """The blocks (series of misses) of the last `days` days: the admin's home page."""
    since = timezone.now() - timedelta(days=days)
    return AuditRecord.objects.filter(action__in=actions, at__gte=since)
