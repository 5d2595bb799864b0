"""Writes to the points ledger: batch entry, reversal, review, month close.

Every rule that can refuse an entry lives in `score_events_record`, used by the
batch page, the Excel import, the API and the demo alike.
"""

import operator
import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import reduce

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import households_scorable_by
from accounts.services import audit_record
from pinghu_points import files
from pinghu_points.aggregates import ExactSum
from pinghu_points.months import last_day
from villages.models import Household

from . import selectors
from .models import (
    Community,
    EventReview,
    HouseholdVisit,
    MonthStatusChange,
    Rectification,
    RectificationInspection,
    ScoreEvent,
    ScoringItem,
)


@dataclass
class EntryError:
    index: int  # position of the entry in the batch (0-based); the caller maps it to a cell or row
    field: str  # household, item, points, occurred_on, evidence, note
    message: str


@dataclass
class BatchError(Exception):
    errors: list = field(default_factory=list)

    def __str__(self):
        return "; ".join(
            f"#{error.index + 1} {error.field}: {error.message}" for error in self.errors
        )


@dataclass
class Entry:
    """One add or deduct as typed: household and item by id, points as a magnitude (or None
    for the item's default), the sign comes from the item."""

    household_id: int
    item_id: int
    occurred_on: date
    points: Decimal | None = None
    note: str = ""
    evidence: object = None
    client_id: uuid.UUID | None = None  # made on the phone: a repeated send finds its event


ZERO = Decimal("0")
NOTE_MAX_LENGTH = ScoreEvent._meta.get_field("note").max_length


def _as_points(value):
    if value is None or value == "":
        return None
    try:
        points = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return "invalid"
    if not points.is_finite() or points != points.quantize(Decimal("0.1")):
        return "invalid"
    return points


def _cap_usage(*, pairs, years, months):
    """Points already used under each item's caps, in two aggregate queries.

    Both filter on date ranges, which the index on household and date serves, and neither
    extracts the year or month of a row (SQLite does that in Python, row by row): the year
    is a CASE over the years' ranges, and the month's sums are taken per day and added up
    here, over the months asked for only.
    """
    if not pairs or not years:
        return {}, {}
    household_ids = {household_id for household_id, _ in pairs}
    item_ids = {item_id for _, item_id in pairs}
    years = sorted(set(years))
    # By household and date only: given the items too, SQLite walks the index on the item
    # (every event of the item, in every community); the other items' rows are dropped below.
    base = ScoreEvent.objects.filter(selectors.NOT_REJECTED, household_id__in=household_ids)
    year_of = [
        (year, Q(occurred_on__gte=date(year, 1, 1), occurred_on__lte=date(year, 12, 31)))
        for year in years
    ]
    yearly = (
        base.filter(reduce(operator.or_, (in_year for _, in_year in year_of)))
        .values_list(
            "household_id",
            "item_id",
            Case(*(When(in_year, then=Value(year)) for year, in_year in year_of)),
        )
        .annotate(total=ExactSum("points"))
        .order_by()
    )
    month_starts = sorted({date(year, month, 1) for year in years for month in set(months)})
    daily = (
        base.filter(
            reduce(
                operator.or_,
                (
                    Q(occurred_on__gte=start, occurred_on__lte=last_day(start))
                    for start in month_starts
                ),
            )
        )
        .values_list("household_id", "item_id", "occurred_on")
        .annotate(total=ExactSum("points"))
        .order_by()
    )
    # Net of reversals: a reversed entry frees its room again. Signed sums: the caller
    # turns them into room used with the item's sign, so a reversal dated in another month
    # frees room there instead of taking it up.
    used_year = {
        (household_id, item_id, year): total or ZERO
        for household_id, item_id, year, total in yearly
        if item_id in item_ids
    }
    used_month = defaultdict(Decimal)
    for household_id, item_id, day, total in daily:
        if item_id in item_ids:
            used_month[(household_id, item_id, day.year, day.month)] += total or ZERO
    return used_year, dict(used_month)


def paid_year_message(*, cooperative, year):
    """Why a paid year takes no score event and no reversal (one wording everywhere)."""
    return _(
        "%(cooperative)s %(year)s 年的分红已审批，该年度的积分已随分红定格，"
        "不能再录入、冲正或确认。如需更正，请联系街道管理员（见积分说明“已分红年度”）。"
    ) % {"cooperative": cooperative.name, "year": year}


def refuse_paid_year(*, cooperative, year):
    """ValidationError when `cooperative`'s dividend of `year` is approved."""
    if selectors.paid_years(cooperative_ids=[cooperative.pk], years=[year]):
        raise ValidationError(paid_year_message(cooperative=cooperative, year=year))


@dataclass
class _Batch:
    """What the checks of a batch read, fetched once for all its entries."""

    today: date
    deduction_reason_required: bool
    households: dict  # {id: Household} in the actor's scope
    items: dict  # {id: ScoringItem}
    standards: dict  # {(cooperative id, year): the standard it adopted}
    paid: set  # {(cooperative id, year)} whose dividend is approved
    closed: set  # {(community id, first of month)} closed
    used_year: defaultdict  # signed points under each cap so far (net of reversals) …
    used_month: defaultdict  # … including the batch's own entries checked before


def _batch(*, actor, entries, today, deduction_reason_required):
    """The `_Batch` of `entries`: a fixed number of queries, whatever their number."""
    household_ids = {entry.household_id for entry in entries if entry.household_id}
    item_ids = {entry.item_id for entry in entries if entry.item_id}
    # The community and cooperative fetched once each (prefetch), not joined on every row:
    # a batch is mostly one community's households of a few cooperatives.
    households = {
        household.pk: household
        for household in households_scorable_by(actor)
        .filter(pk__in=household_ids)
        .prefetch_related("community", "cooperative")
    }
    items = {
        item.pk: item
        for item in ScoringItem.objects.filter(pk__in=item_ids).select_related("standard")
    }
    cooperative_ids = {household.cooperative_id for household in households.values()}
    years = {entry.occurred_on.year for entry in entries if entry.occurred_on}
    standards = {}
    for year in years:
        for cooperative_id, standard in selectors.standards_by_cooperative(
            cooperative_ids=cooperative_ids, year=year
        ).items():
            standards[(cooperative_id, year)] = standard
    month_starts = {
        selectors.first_of_month(entry.occurred_on) for entry in entries if entry.occurred_on
    }
    # Only items with a cap need what was used before.
    capped = {
        item.pk
        for item in items.values()
        if item.cap_per_month is not None or item.cap_per_year is not None
    }
    used_year, used_month = _cap_usage(
        pairs={(entry.household_id, entry.item_id) for entry in entries if entry.item_id in capped},
        years=years,
        months={start.month for start in month_starts},
    )
    return _Batch(
        today=today,
        deduction_reason_required=deduction_reason_required,
        households=households,
        items=items,
        standards=standards,
        paid=selectors.paid_years(cooperative_ids=cooperative_ids, years=years),
        closed=selectors.closed_months(
            community_ids={household.community_id for household in households.values()},
            months=month_starts,
        ),
        used_year=defaultdict(Decimal, used_year),
        used_month=defaultdict(Decimal, used_month),
    )


@dataclass
class _Checked:
    """One entry while its checks run, with what the checks before found."""

    entry: Entry
    household: object = None
    item: object = None
    points: Decimal | None = None  # unsigned, once given or defaulted

    @property
    def year(self):
        return self.entry.occurred_on.year

    def year_key(self):
        return (self.household.pk, self.item.pk, self.year)

    def month_key(self):
        return (*self.year_key(), self.entry.occurred_on.month)


# Each check is one rule: None when the entry passes it, else (field, message). They run
# in order and an entry stops at its first problem; later checks may rely on earlier ones
# (a household, an item, a date, the points).


def _check_household(row, batch):
    row.household = batch.households.get(row.entry.household_id)
    if row.household is None:
        return "household", _("该户不在您负责的社区，不能评分")
    return None


def _check_item(row, batch):
    row.item = batch.items.get(row.entry.item_id)
    if row.item is None:
        return "item", _("积分项不存在")
    return None


def _check_date_given(row, batch):
    if row.entry.occurred_on is None:
        return "occurred_on", _("请填写发生日期")
    return None


def _check_date_not_future(row, batch):
    if row.entry.occurred_on > batch.today:
        return "occurred_on", _("发生日期 %(date)s 晚于今天") % {
            "date": row.entry.occurred_on.isoformat()
        }
    return None


def _check_standard_published(row, batch):
    if (row.household.cooperative_id, row.year) not in batch.standards:
        return "item", _("%(cooperative)s 在 %(year)s 年没有已发布的积分标准") % {
            "cooperative": row.household.cooperative.name,
            "year": row.year,
        }
    return None


def _check_item_in_standard(row, batch):
    standard = batch.standards[(row.household.cooperative_id, row.year)]
    if row.item.standard_id != standard.pk:
        return "item", _("积分项“%(item)s”不属于%(cooperative)s %(year)s 年采用的积分标准") % {
            "item": row.item.name,
            "cooperative": row.household.cooperative.name,
            "year": row.year,
        }
    return None


def _check_year_not_paid(row, batch):
    if (row.household.cooperative_id, row.year) in batch.paid:
        return "occurred_on", paid_year_message(
            cooperative=row.household.cooperative, year=row.year
        )
    return None


def _check_month_open(row, batch):
    month = selectors.first_of_month(row.entry.occurred_on)
    if (row.household.community_id, month) in batch.closed:
        return "occurred_on", _("%(community)s %(month)s 已关账，不能再录入") % {
            "community": row.household.community.name,
            "month": month.strftime("%Y-%m"),
        }
    return None


def _check_points_a_number(row, batch):
    points = _as_points(row.entry.points)
    if points == "invalid":
        return "points", _("分值应为数字，最多一位小数")
    row.points = abs(row.item.default_points if points is None else points)
    return None


def _check_points_in_range(row, batch):
    item = row.item
    if not item.min_points <= row.points <= item.max_points:
        return "points", _("分值 %(points)s 超出“%(item)s”允许的范围 %(low)s–%(high)s") % {
            "points": row.points,
            "item": item.name,
            "low": item.min_points,
            "high": item.max_points,
        }
    return None


def _check_month_cap(row, batch):
    item = row.item
    if item.cap_per_month is None:
        return None
    total = max(ZERO, batch.used_month[row.month_key()] * item.sign) + row.points
    if total > item.cap_per_month:
        return "points", _("“%(item)s”本月累计将达 %(total)s 分，超过每月上限 %(cap)s") % {
            "item": item.name,
            "total": total,
            "cap": item.cap_per_month,
        }
    return None


def _check_year_cap(row, batch):
    item = row.item
    if item.cap_per_year is None:
        return None
    total = max(ZERO, batch.used_year[row.year_key()] * item.sign) + row.points
    if total > item.cap_per_year:
        return "points", _("“%(item)s”本年累计将达 %(total)s 分，超过每年上限 %(cap)s") % {
            "item": item.name,
            "total": total,
            "cap": item.cap_per_year,
        }
    return None


def _check_reason_given(row, batch):
    """A veto always needs a reason (the note); with `deduction_reason_required` (the
    phone entry) every deduction does."""
    item = row.item
    needs_reason = item.is_veto or (batch.deduction_reason_required and item.sign < 0)
    if needs_reason and not (row.entry.note or "").strip():
        return "note", _("一票否决须填写原因") if item.is_veto else _("扣分须填写原因")
    return None


def _check_photo_given(row, batch):
    if row.item.needs_photo and not row.entry.evidence:
        return "evidence", _("“%(item)s”须上传照片") % {"item": row.item.name}
    return None


def _check_photo_clean(row, batch):
    """A photo is checked and re-encoded (`files.clean_photo`); the entry keeps the clean one."""
    if row.entry.evidence:
        try:
            row.entry = replace(row.entry, evidence=files.clean_photo(row.entry.evidence))
        except ValidationError as error:
            return "evidence", error.messages[0]
    return None


def _check_note_length(row, batch):
    if len(row.entry.note or "") > NOTE_MAX_LENGTH:
        return "note", _("备注最多 %(count)s 个字") % {"count": NOTE_MAX_LENGTH}
    return None


ENTRY_CHECKS = (
    _check_household,
    _check_item,
    _check_date_given,
    _check_date_not_future,
    _check_standard_published,
    _check_item_in_standard,
    _check_year_not_paid,
    _check_month_open,
    _check_points_a_number,
    _check_points_in_range,
    _check_month_cap,
    _check_year_cap,
    _check_reason_given,
    _check_photo_given,
    _check_photo_clean,
    _check_note_length,
)


def validate_entries(*, actor, entries, today=None, deduction_reason_required=False):
    """Check a whole batch; return (errors, prepared rows). Nothing is written.

    Each entry goes through `ENTRY_CHECKS` in order and stops at its first problem. An
    entry that passes takes its room under the item's caps, so the batch's later entries
    count it. The number of queries does not depend on the number of entries.
    """
    batch = _batch(
        actor=actor,
        entries=entries,
        today=today or timezone.localdate(),
        deduction_reason_required=deduction_reason_required,
    )
    errors, prepared = [], []
    for index, entry in enumerate(entries):
        row = _Checked(entry)
        for check in ENTRY_CHECKS:
            problem = check(row, batch)
            if problem is not None:
                errors.append(EntryError(index, *problem))
                break
        else:
            item = row.item
            signed = row.points * item.sign
            # Only a capped item's room is ever read again (the cap checks).
            if item.cap_per_month is not None or item.cap_per_year is not None:
                batch.used_month[row.month_key()] += signed
                batch.used_year[row.year_key()] += signed
            prepared.append((row.entry, row.household, item, signed))
    return errors, prepared


def lock_community_months(*, community_ids):
    """Lock the communities' rows until the end of the transaction (in id order, no deadlock).

    Everything that changes what a month holds or whether it is closed takes this lock
    first — month close and reopen, batch entry and import, reversal — so a month is
    either closed with nothing pending in it, or the entries are refused as closed.
    Reads after it (closed months, pending events) see what the other side committed.
    """
    if not isinstance(community_ids, QuerySet):
        community_ids = sorted(set(community_ids))
    list(
        Community.objects.select_for_update()
        .filter(pk__in=community_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@files.stored_with_rows()
def score_events_record(
    *, actor, entries, source="batch", today=None, deduction_reason_required=False
):
    """Record a batch of add/deduct events: all of them, or none with every error listed.

    A veto event always waits for a second staff member's confirmation, whatever the
    community's review setting (docs/scoring.md, "Veto").
    """
    if not entries:
        raise BatchError([EntryError(0, "household", _("没有要保存的积分记录"))])
    # One query: the subquery gives the communities of the batch's households.
    lock_community_months(
        community_ids=Household.objects.filter(
            pk__in={entry.household_id for entry in entries if entry.household_id}
        ).values("community_id")
    )
    # Lock the households too so two staff saving at once cannot both slip under a cap.
    list(
        Household.objects.select_for_update()
        .filter(pk__in=sorted({entry.household_id for entry in entries if entry.household_id}))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    errors, prepared = validate_entries(
        actor=actor,
        entries=entries,
        today=today,
        deduction_reason_required=deduction_reason_required,
    )
    if errors:
        raise BatchError(errors)
    batch = uuid.uuid4()
    events = [
        ScoreEvent(
            household=household,
            item=item,
            points=points,
            occurred_on=entry.occurred_on,
            community_id=household.community_id,
            entered_by=actor,
            note=entry.note or "",
            evidence=entry.evidence or "",
            needs_review=household.community.review_required or item.is_veto,
            batch=batch,
            client_id=entry.client_id,
        )
        for entry, household, item, points in prepared
    ]
    if any(event.evidence for event in events):
        # Files must be stored one by one; batches with photos are small.
        for event in events:
            event.save()
    else:
        events = ScoreEvent.objects.bulk_create(events)
    rectifications_open(actor=actor, events=events, source=source)
    audit_record(
        actor=actor,
        action="score_event.create",
        details={
            "batch": str(batch),
            "source": source,
            "count": len(events),
            "events": [event.pk for event in events][:500],
            "points": str(sum((event.points for event in events), Decimal("0"))),
        },
    )
    return events


@dataclass
class SyncResult:
    """What became of one entry sent from a phone: created, existing (sent before) or refused."""

    client_id: object
    status: str
    event: ScoreEvent | None = None
    errors: list = field(default_factory=list)  # [EntryError], `index` = the entry's position


def score_entries_sync(*, actor, entries, today=None):
    """Record entries queued on a phone (the door entry), each on its own.

    Unlike a desk batch these are independent acts made at different doors, so one refused
    entry does not hold back the others. Each entry carries the id the phone made for it
    (`Entry.client_id`): an entry already recorded is not recorded again, its event is
    returned as "existing", however often the phone sends it. Every rule of
    `validate_entries` applies (with a reason required for deductions); a refused entry
    comes back with its reasons. Returns one `SyncResult` per entry, in order.
    """
    results = [None] * len(entries)
    first_of = {}
    for index, entry in enumerate(entries):
        if entry.client_id is None:
            results[index] = SyncResult(
                None, "refused", errors=[EntryError(index, "client_id", _("缺少记录编号"))]
            )
        elif entry.client_id in first_of:
            continue  # the same entry twice in one send: it shares the first one's result
        else:
            first_of[entry.client_id] = index
    existing = ScoreEvent.objects.filter(client_id__in=list(first_of)).in_bulk(
        field_name="client_id"
    )
    fresh = []
    for client_id, index in first_of.items():
        event = existing.get(client_id)
        if event is None:
            fresh.append(index)
        elif event.entered_by_id == actor.pk:
            results[index] = SyncResult(client_id, "existing", event)
        else:
            results[index] = SyncResult(
                client_id,
                "refused",
                errors=[EntryError(index, "client_id", _("记录编号已被其他记录使用"))],
            )
    if fresh:
        errors, prepared = validate_entries(
            actor=actor,
            entries=[entries[index] for index in fresh],
            today=today,
            deduction_reason_required=True,
        )
        refused = defaultdict(list)
        for error in errors:
            index = fresh[error.index]
            refused[index].append(replace(error, index=index))
        for index, entry_errors in refused.items():
            results[index] = SyncResult(entries[index].client_id, "refused", errors=entry_errors)
        accepted = [index for index in fresh if index not in refused]
        # `prepared` follows the accepted entries in order, photos already re-encoded.
        ready = dict(zip(accepted, (entry for entry, *_rest in prepared), strict=True))
        _sync_record(actor=actor, ready=ready, results=results, today=today)
    # An entry refused only because a parallel send of it was just recorded is "existing".
    late = [result.client_id for result in results if result and result.status == "refused"]
    if late:
        found = ScoreEvent.objects.filter(client_id__in=late, entered_by=actor).in_bulk(
            field_name="client_id"
        )
        for index, result in enumerate(results):
            if result and result.status == "refused" and result.client_id in found:
                results[index] = SyncResult(result.client_id, "existing", found[result.client_id])
    for index, entry in enumerate(entries):
        if results[index] is None:
            first = results[first_of[entry.client_id]]
            status = "refused" if first.status == "refused" else "existing"
            results[index] = SyncResult(first.client_id, status, first.event, first.errors)
    return results


def _sync_record(*, actor, ready, results, today):
    """Record the entries that passed the check in one batch; if something changed
    between the check and the write (another send, a month closed, a cap reached),
    record them one by one so each gets its own answer."""
    if not ready:
        return
    try:
        events = score_events_record(
            actor=actor,
            entries=list(ready.values()),
            source="phone",
            today=today,
            deduction_reason_required=True,
        )
    except (BatchError, IntegrityError):
        for index, entry in ready.items():
            results[index] = _sync_one(actor=actor, entry=entry, index=index, today=today)
    else:
        for index, event in zip(ready, events, strict=True):
            results[index] = SyncResult(event.client_id, "created", event)


def _sync_one(*, actor, entry, index, today):
    try:
        (event,) = score_events_record(
            actor=actor,
            entries=[entry],
            source="phone",
            today=today,
            deduction_reason_required=True,
        )
    except BatchError as error:
        return SyncResult(
            entry.client_id, "refused", errors=[replace(e, index=index) for e in error.errors]
        )
    except IntegrityError:
        event = ScoreEvent.objects.get(client_id=entry.client_id)
        return SyncResult(entry.client_id, "existing", event)
    return SyncResult(entry.client_id, "created", event)


@files.stored_with_rows()
def score_event_reverse(*, actor, event, reason, evidence=None):
    """Correct a mistake without erasing it: a new event with the opposite points.

    Reversing a veto is a veto act too: it needs a photo and counts only once a second
    staff member confirms it (until then the veto stands).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("冲正必须填写原因"))
    if len(reason) > NOTE_MAX_LENGTH:
        raise ValidationError(_("原因最多 %(count)s 个字") % {"count": NOTE_MAX_LENGTH})
    lock_community_months(
        community_ids=ScoreEvent.objects.filter(pk=event.pk)
        .values_list("community_id", "household__community_id")
        .first()
        or ()
    )
    event = (
        ScoreEvent.objects.select_for_update()
        .select_related("household__community", "household__cooperative", "community", "item")
        .get(pk=event.pk)
    )
    if not households_scorable_by(actor).filter(pk=event.household_id).exists():
        raise PermissionDenied(_("该户不在您负责的社区"))
    if event.is_reversal:
        raise ValidationError(_("冲正记录不能再冲正，请重新录入"))
    # The year the event counts in is paid: its score is the one the dividend paid on.
    refuse_paid_year(cooperative=event.household.cooperative, year=event.occurred_on.year)
    if ScoreEvent.objects.filter(reverses=event).exists():
        raise ValidationError(_("该记录已冲正"))
    review = EventReview.objects.filter(event=event).first()
    if event.needs_review and (review is None or review.decision != EventReview.Decision.CONFIRMED):
        raise ValidationError(_("未确认的记录无需冲正，请在复核中驳回"))
    month = selectors.first_of_month(event.occurred_on)
    # The month was closed for the community that scored the event.
    if selectors.month_is_closed(community=event.community, month=month):
        # The reversal is dated today so a closed month stays as it was closed, but never in
        # another year: that would leave the paid year's score wrong and shift the next one.
        occurred_on = timezone.localdate()
        if occurred_on.year != event.occurred_on.year:
            raise ValidationError(
                _("%(month)s 已关账且已跨年，须街道管理员重新开放该月后再冲正")
                % {"month": month.strftime("%Y-%m")}
            )
    else:
        occurred_on = event.occurred_on
    if selectors.month_is_closed(
        community=event.household.community, month=selectors.first_of_month(occurred_on)
    ):
        raise ValidationError(_("当月已关账，不能冲正"))
    if occurred_on.year != event.occurred_on.year:
        refuse_paid_year(cooperative=event.household.cooperative, year=occurred_on.year)
    if event.item.is_veto:
        if not evidence:
            raise ValidationError(_("撤销一票否决须上传照片"))
        evidence = files.clean_photo(evidence)
    reversal = ScoreEvent.objects.create(
        household=event.household,
        item=event.item,
        points=-event.points,
        occurred_on=occurred_on,
        community=event.household.community,
        entered_by=actor,
        note=reason,
        reverses=event,
        evidence=evidence or "",
        needs_review=event.item.is_veto,
    )
    audit_record(
        actor=actor,
        action="score_event.reverse",
        target=reversal,
        details={"reverses": event.pk, "points": str(reversal.points), "reason": reason},
    )
    return reversal


@transaction.atomic
def score_event_review(*, actor, event, decision, reason=""):
    """A second staff member confirms or rejects an event awaiting review."""
    event = (
        ScoreEvent.objects.select_for_update(of=("self",))
        .select_related("household__cooperative")
        .get(pk=event.pk)
    )
    if not households_scorable_by(actor).filter(pk=event.household_id).exists():
        raise PermissionDenied(_("该户不在您负责的社区"))
    if not event.needs_review:
        raise ValidationError(_("该记录无需复核"))
    if event.entered_by_id == actor.pk:
        raise ValidationError(_("不能复核自己录入的记录"))
    if EventReview.objects.filter(event=event).exists():
        raise ValidationError(_("该记录已复核"))
    if decision not in EventReview.Decision.values:
        raise ValidationError(_("复核结论只能是确认或驳回"))
    if len((reason or "").strip()) > NOTE_MAX_LENGTH:
        raise ValidationError(_("理由最多 %(count)s 个字") % {"count": NOTE_MAX_LENGTH})
    if decision == EventReview.Decision.REJECTED and not (reason or "").strip():
        raise ValidationError(_("驳回必须填写理由"))
    if decision == EventReview.Decision.CONFIRMED:
        # Confirming would let the event count in a year whose dividend is paid on its score.
        refuse_paid_year(cooperative=event.household.cooperative, year=event.occurred_on.year)
    review = EventReview.objects.create(
        event=event, decision=decision, reason=(reason or "").strip(), reviewer=actor
    )
    audit_record(
        actor=actor,
        action=f"score_event.{decision}",
        target=event,
        details={"reason": review.reason},
    )
    return review


def _require_staff_of(actor, community):
    from accounts.scope import communities_visible_to

    if not actor.may_score:
        raise PermissionDenied(_("只有社区工作人员可以关账"))
    if not communities_visible_to(actor).filter(pk=community.pk).exists():
        raise PermissionDenied(_("您不负责该社区"))


@transaction.atomic
def month_close(*, actor, community, month, today=None):
    today = today or timezone.localdate()
    _require_staff_of(actor, community)
    lock_community_months(community_ids=[community.pk])
    month = selectors.first_of_month(month)
    if month > selectors.first_of_month(today):
        raise ValidationError(_("不能关闭未来的月份"))
    if selectors.month_is_closed(community=community, month=month):
        raise ValidationError(_("%(month)s 已关账") % {"month": month.strftime("%Y-%m")})
    # A closed month must not change afterwards, so nothing may still await review in it.
    pending = selectors.month_events_summary(community=community, month=month)["pending"]
    if pending:
        raise ValidationError(
            _("%(month)s 还有 %(count)s 条积分记录等待复核，复核后才能关账")
            % {"month": month.strftime("%Y-%m"), "count": pending}
        )
    change = MonthStatusChange.objects.create(
        community=community, month=month, action=MonthStatusChange.Action.CLOSE, actor=actor
    )
    audit_record(
        actor=actor,
        action="month.close",
        target=community,
        details={"month": month.strftime("%Y-%m")},
    )
    return change


@transaction.atomic
def month_reopen(*, actor, community, month, reason):
    if not actor.may_reopen_months:
        raise PermissionDenied(_("重新开放月份须由街道管理员操作"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("重新开放必须填写原因"))
    lock_community_months(community_ids=[community.pk])
    month = selectors.first_of_month(month)
    if not selectors.month_is_closed(community=community, month=month):
        raise ValidationError(_("%(month)s 未关账") % {"month": month.strftime("%Y-%m")})
    change = MonthStatusChange.objects.create(
        community=community,
        month=month,
        action=MonthStatusChange.Action.REOPEN,
        actor=actor,
        reason=reason,
    )
    audit_record(
        actor=actor,
        action="month.reopen",
        target=community,
        details={"month": month.strftime("%Y-%m"), "reason": reason},
    )
    return change


@transaction.atomic
def household_visit_record(*, actor, household, visited_on=None, note="", today=None):
    """A visit that needs no points ("visit recorded"). Recording the same household, day
    and leader again returns the visit already recorded."""
    today = today or timezone.localdate()
    visited_on = visited_on or today
    if not households_scorable_by(actor).filter(pk=household.pk).exists():
        raise PermissionDenied(_("该户不在您负责的社区"))
    if visited_on > today:
        raise ValidationError(_("发生日期 %(date)s 晚于今天") % {"date": visited_on.isoformat()})
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(_("备注最多 %(count)s 个字") % {"count": NOTE_MAX_LENGTH})
    visit, created = HouseholdVisit.objects.get_or_create(
        household=household, visited_on=visited_on, recorded_by=actor, defaults={"note": note}
    )
    if created:
        audit_record(
            actor=actor,
            action="household.visit",
            target=household,
            details={"visited_on": visited_on.isoformat()},
        )
    return visit


@transaction.atomic
def community_set_honor_roll_published(*, actor, community, published):
    """Whether the community's villagers see its monthly 红榜 (the 黑榜 never). Audited."""
    before = community.honor_roll_published
    community.honor_roll_published = bool(published)
    community.save(update_fields=["honor_roll_published"])
    audit_record(
        actor=actor,
        action="community.honor_roll_published",
        target=community,
        details={"before": before, "after": community.honor_roll_published},
    )
    return community


# --- Rectification (整改) after a deduction: docs/rectification.md ---------------------------


def rectifications_open(*, actor, events, source):
    """Open a rectification for each new deduction under a rectifiable item, due the item's
    number of days after the deduction. Called by `score_events_record` only, so every entry
    path (batch, phone, import, API, demo) opens them; a reversal never does."""
    rectifications = Rectification.objects.bulk_create(
        [
            Rectification(
                deduction=event,
                household_id=event.household_id,
                due_on=event.occurred_on + timedelta(days=event.item.rectify_days),
            )
            for event in events
            if event.item.is_rectifiable and event.points < 0 and not event.is_reversal
        ]
    )
    if rectifications:
        audit_record(
            actor=actor,
            action="rectification.open",
            details={
                "source": source,
                "count": len(rectifications),
                "rectifications": [rectification.pk for rectification in rectifications][:500],
            },
        )
    return rectifications


def earn_back_points(*, deduction, result):
    """What a re-inspection earns back: on time, the item's share of the deduction (to one
    decimal, half up); late or not rectified, nothing."""
    if result != RectificationInspection.Result.ON_TIME:
        return ZERO
    share = Decimal(deduction.item.rectify_refund_percent) / 100
    return (-deduction.points * share).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@transaction.atomic
def rectification_inspect(*, actor, rectification, result, note="", photo=None, today=None):
    """Record the one re-inspection of a rectification (整改复查) by the household's grid
    leader or a staff member of its community (the scoring scope). On time, the item's share
    of the deduction comes back as a new score event whose reason names the deduction."""
    today = today or timezone.localdate()
    if result not in RectificationInspection.Result.values:
        raise ValidationError(_("请选择复查结果"))
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(_("备注最多 %(count)s 个字") % {"count": NOTE_MAX_LENGTH})
    # Lock the household's community first (the month-close lock), then the rectification.
    lock_community_months(
        community_ids=Rectification.objects.filter(pk=rectification.pk).values(
            "household__community_id"
        )
    )
    rectification = (
        Rectification.objects.select_for_update(of=("self",))
        .select_related(
            "household__community", "household__cooperative", "deduction__item", "deduction"
        )
        .get(pk=rectification.pk)
    )
    household, deduction = rectification.household, rectification.deduction
    if not households_scorable_by(actor).filter(pk=household.pk).exists():
        raise PermissionDenied(_("该户不在您负责的社区"))
    if RectificationInspection.objects.filter(rectification=rectification).exists():
        raise ValidationError(_("该整改已复查，不能重复复查"))
    if not selectors.deduction_stands(deduction):
        raise ValidationError(_("该扣分已冲正或未计入，无需复查"))
    if photo:
        photo = files.clean_photo(photo)
    points = earn_back_points(deduction=deduction, result=result)
    earn_back = None
    if points > 0:
        if today.year != deduction.occurred_on.year:
            # A return belongs to the deduction's year; nothing carries into the next one.
            raise ValidationError(
                _("复查已跨年：返还分不能计入 %(year)s 年，请联系街道管理员")
                % {"year": deduction.occurred_on.year}
            )
        refuse_paid_year(cooperative=household.cooperative, year=today.year)
        month = selectors.first_of_month(today)
        if selectors.month_is_closed(community=household.community, month=month):
            raise ValidationError(
                _("%(community)s %(month)s 已关账，不能再录入")
                % {"community": household.community.name, "month": month.strftime("%Y-%m")}
            )
        earn_back = ScoreEvent.objects.create(
            household=household,
            item=deduction.item,
            points=points,
            occurred_on=today,
            community=household.community,
            entered_by=actor,
            note=(
                _("按期整改，返还 %(date)s “%(item)s”扣分 %(points)s 分中的 %(earned)s 分")
                % {
                    "date": deduction.occurred_on.isoformat(),
                    "item": deduction.item.name,
                    "points": -deduction.points,
                    "earned": points,
                }
            )[:NOTE_MAX_LENGTH],
            needs_review=household.community.review_required,
        )
    inspection = RectificationInspection.objects.create(
        rectification=rectification,
        result=result,
        inspected_on=today,
        note=note,
        photo=photo or "",
        inspector=actor,
        earn_back=earn_back,
    )
    audit_record(
        actor=actor,
        action="rectification.inspect",
        target=inspection,
        details={
            "rectification": rectification.pk,
            "deduction": deduction.pk,
            "result": result,
            "earn_back": earn_back.pk if earn_back else None,
            "points": str(points),
        },
    )
    return inspection
