"""Reads of the points ledger. Every page, export and the dividend use these,
so a household's score means the same thing everywhere."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch, Q
from django.db.models.functions import ExtractMonth
from django.utils.translation import gettext

from pinghu_points.aggregates import ExactSum
from pinghu_points.months import first_of_month  # noqa: F401 (selectors.first_of_month)
from villages.models import Household

from .models import (
    ITEM_NEEDS_PHOTO,
    HouseholdVisit,
    MicroGrid,
    MonthStatusChange,
    Rectification,
    RectificationInspection,
    ScoreEvent,
    ScoringItem,
    ScoringStandard,
    StandardAdoption,
)

ZERO = Decimal("0")
TENTH = Decimal("0.1")


def counting_q(prefix=""):
    """The counting rule as a filter, on the event itself or through a relation
    (`counting_q("reversal__")`): an event counts unless it waits for review or was
    rejected. The per-row form is `ScoreEvent.counts`."""
    return Q(**{f"{prefix}needs_review": False}) | Q(**{f"{prefix}review__decision": "confirmed"})


COUNTING = counting_q()
# Waiting for the second staff member (ScoreEvent.review_state == "pending").
PENDING = Q(needs_review=True, review__isnull=True)
# Events that still take up room under a cap: counting ones and those awaiting review.
NOT_REJECTED = COUNTING | PENDING
# An original event that still stands: not a reversal and not cancelled by a reversal that
# counts (ScoreEvent.offsetting_reversal: a veto's reversal awaiting or refused its second
# person cancels nothing). What "how many clean-ups" counts; the points sums include
# reversals, so they are net.
STANDING = Q(reverses__isnull=True) & ~counting_q("reversal__")


def counting_events():
    return ScoreEvent.objects.filter(COUNTING)


def annual_score(*, standard, total):
    """The one annual-score rule: clip(base + Σ counting points, lower, upper) of the
    standard the cooperative adopted; None without one. Every list, page, export, API
    answer and dividend reads scores through this (or `running_scores`)."""
    if standard is None:
        return None
    return standard.clip(standard.base_points + (total or ZERO))


def running_scores(*, standard, points_by_month, through_month):
    """[score after month 1, …, month N]: `annual_score` of the points so far, month by
    month (the points chart, the card's curve); [] without a standard."""
    if standard is None:
        return []
    series, total = [], ZERO
    for month in range(1, through_month + 1):
        total += points_by_month.get(month, ZERO)
        series.append(annual_score(standard=standard, total=total))
    return series


def standard_for(*, cooperative, year):
    """The published standard the cooperative adopted for the year, or None."""
    return ScoringStandard.objects.filter(
        adoptions__cooperative=cooperative, year=year, status=ScoringStandard.Status.PUBLISHED
    ).first()


def standards_by_cooperative(*, cooperative_ids, year):
    """{cooperative_id: ScoringStandard} for published standards, in one query."""
    adoptions = StandardAdoption.objects.filter(
        cooperative_id__in=cooperative_ids,
        year=year,
        standard__status=ScoringStandard.Status.PUBLISHED,
    ).select_related("standard")
    return {adoption.cooperative_id: adoption.standard for adoption in adoptions}


def event_totals(*, household_ids, year):
    """{household_id: Σ counting points in the year}, one aggregate query."""
    rows = (
        counting_events()
        .filter(household_id__in=household_ids, occurred_on__year=year)
        .values("household_id")
        .annotate(total=ExactSum("points"))
        .order_by()
    )
    return {row["household_id"]: row["total"] or ZERO for row in rows}


def annual_scores(*, households, year):
    """{household_id: annual score} = base + counting events, clipped to the standard's bounds.

    Households whose cooperative adopted no published standard for the year get None.
    Set-based: three queries whatever the number of households.
    """
    pairs = list(households.values_list("pk", "cooperative_id"))
    standards = standards_by_cooperative(
        cooperative_ids={cooperative_id for _, cooperative_id in pairs}, year=year
    )
    totals = event_totals(household_ids=[pk for pk, _ in pairs], year=year)
    scores = {}
    for pk, cooperative_id in pairs:
        scores[pk] = annual_score(standard=standards.get(cooperative_id), total=totals.get(pk))
    return scores


def with_annual_scores(households, *, year):
    """`households` (a page of a list) as a list, each with `annual_score` set: the rule of
    `annual_scores` (three queries whatever the page's length), for lists that show a score
    on every row."""
    households = list(households)
    scores = annual_scores(
        households=Household.objects.filter(pk__in=[household.pk for household in households]),
        year=year,
    )
    for household in households:
        household.annual_score = scores[household.pk]
    return households


def household_annual_score(*, household, year):
    standard = standard_for(cooperative=household.cooperative, year=year)
    if standard is None:
        return None
    total = event_totals(household_ids=[household.pk], year=year).get(household.pk)
    return annual_score(standard=standard, total=total)


def monthly_points(*, household_ids, year):
    """{household_id: {month: Σ counting points}} for the year, one aggregate query."""
    rows = (
        counting_events()
        .filter(household_id__in=household_ids, occurred_on__year=year)
        .annotate(month=ExtractMonth("occurred_on"))
        .values("household_id", "month")
        .annotate(total=ExactSum("points"))
        .order_by()
    )
    result = defaultdict(dict)
    for row in rows:
        result[row["household_id"]][row["month"]] = row["total"]
    return dict(result)


def monthly_scores(*, households, year, through_month=12):
    """{household_id: [score after month 1, …, month N]}: the running, clipped score.

    This is what the monthly points chart (美丽积分图) plots.
    """
    pairs = list(households.values_list("pk", "cooperative_id"))
    standards = standards_by_cooperative(
        cooperative_ids={cooperative_id for _, cooperative_id in pairs}, year=year
    )
    points = monthly_points(household_ids=[pk for pk, _ in pairs], year=year)
    result = {}
    for pk, cooperative_id in pairs:
        standard = standards.get(cooperative_id)
        if standard is None:
            continue
        result[pk] = running_scores(
            standard=standard, points_by_month=points.get(pk, {}), through_month=through_month
        )
    return result


def vetoed_household_ids(*, household_ids, year):
    """Households with a veto (一票否决) item in the year that was not reversed."""
    rows = (
        counting_events()
        .filter(household_id__in=household_ids, occurred_on__year=year, item__is_veto=True)
        .values("household_id", "item_id")
        .annotate(total=ExactSum("points"))
        .order_by()
    )
    return {row["household_id"] for row in rows if row["total"]}


def pending_veto_household_ids(*, household_ids, year):
    """Households with a veto item event (a veto or its reversal) in the year still waiting
    for the second staff member's confirmation: shown as pending, not yet counted."""
    return set(
        ScoreEvent.objects.filter(
            PENDING,
            household_id__in=household_ids,
            occurred_on__year=year,
            item__is_veto=True,
        ).values_list("household_id", flat=True)
    )


def low_streaks(*, series, threshold, months):
    """Households whose score stayed below `threshold` for at least `months` months in a row,
    ending at the last month of the series: {household_id: streak length}."""
    result = {}
    for household_id, scores in series.items():
        streak = 0
        for score in reversed(scores):
            if score < threshold:
                streak += 1
            else:
                break
        if streak >= months:
            result[household_id] = streak
    return result


def month_states(*, community_ids, months):
    """{(community_id, month): latest MonthStatusChange} for the given months that ever changed.

    A month without an entry has never been closed: it is open.
    """
    state = {}
    for change in (
        MonthStatusChange.objects.filter(community_id__in=community_ids, month__in=months)
        .select_related("actor")
        .order_by("at", "id")
    ):
        state[(change.community_id, change.month)] = change
    return state


def closed_months(*, community_ids, months):
    """{(community_id, month)} among the given ones that are closed now (latest change is a close)."""
    return {
        key
        for key, change in month_states(community_ids=community_ids, months=months).items()
        if change.action == MonthStatusChange.Action.CLOSE
    }


def month_is_closed(*, community, month):
    return (community.pk, month) in closed_months(community_ids=[community.pk], months=[month])


def month_events_summary(*, community, month):
    """What closing the month concerns: the community's events of the month (reversals
    included) and how many of them still wait for review (a month with any cannot close)."""
    month = first_of_month(month)
    return ScoreEvent.objects.filter(
        community=community, occurred_on__year=month.year, occurred_on__month=month.month
    ).aggregate(
        events=Count("pk"),
        pending=Count("pk", filter=PENDING),
    )


def household_events(*, household, year):
    """The household's events of the year, newest first, with reversals and reviews at hand."""
    return (
        ScoreEvent.objects.filter(household=household, occurred_on__year=year)
        .select_related("item", "community", "entered_by", "reverses", "review", "reversal__review")
        .order_by("-occurred_on", "-id")
    )


def review_queue(*, user):
    """Events awaiting confirmation that this staff member may confirm (not their own)."""
    from accounts.scope import households_scorable_by

    return (
        ScoreEvent.objects.filter(
            needs_review=True, review__isnull=True, household__in=households_scorable_by(user)
        )
        .exclude(entered_by=user)
        .select_related("household", "item", "entered_by", "community")
        .order_by("occurred_on", "id")
    )


def cooperative_scores(*, cooperative, year):
    """({household_id: annual score}, {vetoed household ids}) for a whole cooperative.

    What the dividend run uses: two aggregate queries joined on the cooperative,
    no list of ids, so it stays fast for 100,000 households. Returns (None, set())
    when the cooperative adopted no published standard for the year.
    """
    standard = standard_for(cooperative=cooperative, year=year)
    if standard is None:
        return None, set()
    events = counting_events().filter(household__cooperative=cooperative, occurred_on__year=year)
    totals = dict(
        events.values("household_id")
        .annotate(total=ExactSum("points"))
        .order_by()
        .values_list("household_id", "total")
    )
    # Ordered by number (the cooperative's index) rather than by the default ordering,
    # which joins the cooperative only to sort by its code: the same households, same order.
    household_ids = cooperative.households.order_by("number").values_list("pk", flat=True)
    scores = {pk: annual_score(standard=standard, total=totals.get(pk)) for pk in household_ids}
    # The veto items by id (a handful), so that the index on item_id finds their few
    # events instead of scanning all of the year's events: same rows as item__is_veto=True.
    veto_items = list(ScoringItem.objects.filter(is_veto=True).values_list("pk", flat=True))
    veto_rows = (
        events.filter(item_id__in=veto_items)
        .values("household_id", "item_id")
        .annotate(total=ExactSum("points"))
        .order_by()
        if veto_items
        else []
    )
    vetoed = {row["household_id"] for row in veto_rows if row["total"]}
    return scores, vetoed


def _one_decimal(value):
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def points_chart_rows(*, households, year, through_month, threshold, months):
    """The points chart's data for the households, set-based.

    Returns (rows, averages, low, without_standard):
    - rows: one dict per household with a standard, ordered by micro-grid, cooperative and
      number: ``household``, ``cells`` (``[{"score", "low"}]`` for months 1..through_month),
      ``first``, ``last``, ``change``, ``trend`` ("up"/"down"/"flat") and ``streak`` (months in
      a row below `threshold` up to the last month, 0 unless at least `months`);
    - averages: the rows' mean score per month, to one decimal ([] without rows);
    - low: the rows with a streak, longest streak first, then lowest last score, then number;
    - without_standard: the households whose cooperative adopted no standard for the year.
    """
    rows_by_pk = {
        household.pk: household
        for household in households.select_related("cooperative", "micro_grid").order_by(
            "micro_grid__code", "cooperative__code", "number"
        )
    }
    series = monthly_scores(households=households, year=year, through_month=through_month)
    streaks = low_streaks(series=series, threshold=threshold, months=months)
    rows, without_standard = [], []
    for pk, household in rows_by_pk.items():
        scores = series.get(pk)
        if scores is None:
            without_standard.append(household)
            continue
        change = scores[-1] - scores[0]
        rows.append(
            {
                "household": household,
                "cells": [{"score": score, "low": score < threshold} for score in scores],
                "first": scores[0],
                "last": scores[-1],
                "change": change,
                "trend": "up" if change > 0 else "down" if change < 0 else "flat",
                "streak": streaks.get(pk, 0),
            }
        )
    averages = (
        [
            _one_decimal(sum(row["cells"][index]["score"] for row in rows) / len(rows))
            for index in range(through_month)
        ]
        if rows
        else []
    )
    low = sorted(
        (row for row in rows if row["streak"]),
        key=lambda row: (-row["streak"], row["last"], row["household"].number),
    )
    return rows, averages, low, without_standard


def chart_picker_communities(*, user):
    """The user's communities with their micro-grids (by code), each with a household count."""
    from accounts.scope import communities_visible_to

    grids = MicroGrid.objects.annotate(household_count=Count("households")).order_by("code")
    return (
        communities_visible_to(user)
        .annotate(household_count=Count("households", distinct=True))
        .prefetch_related(Prefetch("micro_grids", queryset=grids))
        .order_by("code")
    )


def batch_grids(*, user):
    """The micro-grids of the user's communities, by community code then grid code."""
    from accounts.scope import communities_visible_to

    return (
        MicroGrid.objects.filter(community__in=communities_visible_to(user))
        .select_related("community")
        .order_by("community__code", "code")
    )


def paid_years(*, cooperative_ids, years):
    """{(cooperative_id, year)} among these whose dividend is approved (paid or under its
    公示): such a year is closed for score events and reversals (docs/scoring.md, "A paid
    year is closed"). One query."""
    from dividends.models import DividendRun

    if not cooperative_ids or not years:
        return set()
    return set(
        DividendRun.objects.filter(
            cooperative_id__in=set(cooperative_ids),
            year__in=set(years),
            status=DividendRun.Status.APPROVED,
        )
        .values_list("cooperative_id", "year")
        .distinct()
    )


def batch_households(*, user, grid, query, limit, found=None):
    """The households the user may score shown on the batch page, as a list.

    With a `query`: those `villages.selectors.households_matching` finds (number or name
    containing it, or a whole phone / ID / account number), across the user's communities, at most `limit` + 1 (so the caller can tell there were more). Otherwise the
    grid's households by cooperative and number; none without a grid.
    """
    from accounts.scope import households_scorable_by
    from villages.selectors import households_matching

    households = households_scorable_by(user).select_related("cooperative", "community")
    if query:
        # `found`: what the search found already (villages.services.household_search, which
        # limits and records a search by a whole personal number).
        found = households_matching(households, query) if found is None else found
        return list(
            found.select_related("cooperative", "community").order_by(
                "community__code", "cooperative__code", "number", "pk"
            )[: limit + 1]
        )
    if grid is not None:
        return list(
            households.filter(micro_grid=grid).order_by("cooperative__code", "number", "pk")
        )
    return []


@dataclass
class BatchTable:
    """What the batch page shows for its households in one month."""

    standards: dict  # {cooperative_id: ScoringStandard} (published, for the month's year)
    items: list  # every item of those standards: the page's columns
    items_by_standard: dict  # {standard_id: [ScoringItem]}
    month_points: dict  # {household_id: Σ counting points in the month}
    year_scores: dict  # {household_id: annual score or None}
    closed: set  # {(community_id, month)} closed among the households' communities

    def standard_of(self, household):
        return self.standards.get(household.cooperative_id)

    def is_closed(self, household, month):
        return (household.community_id, month) in self.closed

    def month_points_of(self, household):
        return self.month_points.get(household.pk, ZERO)

    def needs_evidence(self, standard):
        """Whether one of the standard's items needs a photo (False without a standard)."""
        return standard is not None and any(
            item.needs_photo for item in self.items_by_standard.get(standard.pk, [])
        )


def batch_table(*, households, month):
    """The batch page's data for the households (a list) and month: a fixed number of queries."""
    year = month.year
    ids = [household.pk for household in households]
    standards = standards_by_cooperative(
        cooperative_ids={household.cooperative_id for household in households}, year=year
    )
    items = list(
        ScoringItem.objects.filter(standard__in={standard.pk for standard in standards.values()})
        .select_related("standard")
        .order_by("standard__name", "standard_id", "direction", "code")
    )
    items_by_standard = defaultdict(list)
    for item in items:
        items_by_standard[item.standard_id].append(item)
    points = monthly_points(household_ids=ids, year=year)
    year_scores = annual_scores(households=Household.objects.filter(pk__in=ids), year=year)
    closed = closed_months(
        community_ids={household.community_id for household in households}, months=[month]
    )
    return BatchTable(
        standards=standards,
        items=items,
        items_by_standard=dict(items_by_standard),
        month_points={
            pk: by_month[month.month] for pk, by_month in points.items() if month.month in by_month
        },
        year_scores=year_scores,
        closed=closed,
    )


def evidence_required_item_ids(*, item_ids):
    """The ids among `item_ids` of items that need a photo (a veto always does), one query."""
    return set(
        ScoringItem.objects.filter(ITEM_NEEDS_PHOTO, pk__in=item_ids).values_list("pk", flat=True)
    )


# --- The door entry (scoring on the phone, one household at a time) ------------------------


def door_grids(*, user):
    """The micro-grids a user scores at the door: those they lead, else every grid of
    their communities (a staff member without a grid of their own, the admin)."""
    grids = batch_grids(user=user)
    led = [grid for grid in grids if grid.leader_id == user.pk]
    return led or list(grids)


def _cap_room(*, household_ids, item_ids, month):
    """{(household_id, item_id): (signed Σ in the month, signed Σ in the year)} of the events
    that take room under a cap (counting or awaiting review), two aggregate queries."""
    base = ScoreEvent.objects.filter(
        NOT_REJECTED,
        household_id__in=household_ids,
        item_id__in=item_ids,
        occurred_on__year=month.year,
    )
    used = defaultdict(lambda: [ZERO, ZERO])
    for row in base.values("household_id", "item_id").annotate(total=ExactSum("points")).order_by():
        used[(row["household_id"], row["item_id"])][1] = row["total"] or ZERO
    for row in (
        base.filter(occurred_on__month=month.month)
        .values("household_id", "item_id")
        .annotate(total=ExactSum("points"))
        .order_by()
    ):
        used[(row["household_id"], row["item_id"])][0] = row["total"] or ZERO
    return used


@dataclass
class DoorGrid:
    """What the phone keeps for one grid and month: households, standards, entries, caps."""

    households: list
    table: BatchTable
    events: list  # the month's events of the grid's households, newest first
    visited: set  # household ids visited in the month (visited_in_month)
    cap_used: dict  # {(household_id, item_id): [signed Σ month, signed Σ year]} for capped items


def door_grid(*, user, grid, month):
    """The door entry's data for a grid and month, a fixed number of queries."""
    households = batch_households(user=user, grid=grid, query="", limit=0)
    table = batch_table(households=households, month=month)
    ids = [household.pk for household in households]
    events = list(
        ScoreEvent.objects.filter(
            household_id__in=ids, occurred_on__year=month.year, occurred_on__month=month.month
        )
        .select_related("item", "review", "reversal__review")
        .order_by("-occurred_on", "-id")
    )
    visited = set(visited_in_month(household_ids=ids, month=month))
    capped = [
        item.pk
        for item in table.items
        if item.cap_per_month is not None or item.cap_per_year is not None
    ]
    cap_used = _cap_room(household_ids=ids, item_ids=capped, month=month) if capped else {}
    return DoorGrid(
        households=households, table=table, events=events, visited=visited, cap_used=cap_used
    )


def visited_in_month(*, household_ids, month):
    """{household_id: latest date} of the households visited in the month. The one
    "visited" rule (door app, grid leader's month, staff home): a recorded visit, with or
    without points, or a score event of the month that was not rejected. Two queries."""
    latest = {}
    visits = HouseholdVisit.objects.filter(
        household_id__in=household_ids,
        visited_on__year=month.year,
        visited_on__month=month.month,
    ).values_list("household_id", "visited_on")
    entries = (
        ScoreEvent.objects.filter(
            NOT_REJECTED,
            household_id__in=household_ids,
            occurred_on__year=month.year,
            occurred_on__month=month.month,
        )
        .values_list("household_id", "occurred_on")
        .order_by()
    )
    for household_id, day in [*visits, *entries]:
        latest[household_id] = max(day, latest.get(household_id, day))
    return latest


@dataclass
class GridMonthRow:
    household: Household
    visited_on: date | None  # the latest visit or entry of the month, None if not visited
    entries: int  # score events of the month that were not rejected
    month_points: Decimal  # Σ counting points of the month
    streak: int  # months in a row below the low line up to this month (0 unless persistent)


def grid_month(*, user, grid, month, threshold, months):
    """The grid leader's month: each household visited or not, and who is persistently low
    (the points chart's low list). A fixed number of queries."""
    households = batch_households(user=user, grid=grid, query="", limit=0)
    ids = [household.pk for household in households]
    entries = defaultdict(int)
    for row in (
        ScoreEvent.objects.filter(
            NOT_REJECTED,
            household_id__in=ids,
            occurred_on__year=month.year,
            occurred_on__month=month.month,
        )
        .values("household_id")
        .annotate(count=Count("pk"))
        .order_by()
    ):
        entries[row["household_id"]] = row["count"]
    visited = visited_in_month(household_ids=ids, month=month)
    points = monthly_points(household_ids=ids, year=month.year)
    series = monthly_scores(
        households=Household.objects.filter(pk__in=ids), year=month.year, through_month=month.month
    )
    streaks = low_streaks(series=series, threshold=threshold, months=months)
    rows = []
    for household in households:
        rows.append(
            GridMonthRow(
                household=household,
                visited_on=visited.get(household.pk),
                entries=entries.get(household.pk, 0),
                month_points=points.get(household.pk, {}).get(month.month) or ZERO,
                streak=streaks.get(household.pk, 0),
            )
        )
    return rows


def review_effect(*, event):
    """What confirming a waiting event does to its household's year, for the page that asks
    for the confirmation of a veto or of its reversal: the annual score now and after, and
    whether the household keeps its incentive (no unreversed veto item) now and after.
    Reads counting events only, like `household_annual_score` and `vetoed_household_ids`."""
    household, year = event.household, event.occurred_on.year
    standard = standard_for(cooperative=household.cooperative, year=year)
    total = event_totals(household_ids=[household.pk], year=year).get(household.pk, ZERO)
    veto_totals = {
        row["item_id"]: row["total"] or ZERO
        for row in counting_events()
        .filter(household=household, occurred_on__year=year, item__is_veto=True)
        .values("item_id")
        .annotate(total=ExactSum("points"))
        .order_by()
    }
    vetoed_now = any(veto_totals.values())
    if event.item.is_veto:
        veto_totals[event.item_id] = veto_totals.get(event.item_id, ZERO) + event.points
    return {
        "year": year,
        "score_now": annual_score(standard=standard, total=total),
        "score_after": annual_score(standard=standard, total=total + event.points),
        "vetoed_now": vetoed_now,
        "vetoed_after": any(veto_totals.values()),
    }


# --- Rectification (整改): docs/rectification.md ----------------------------------------------

# A rectification is live while its deduction stands: not rejected at review, not reversed.
# (A reversed or rejected deduction leaves nothing to fix; it drops out of every list.)
RECTIFICATION_LIVE = (
    Q(deduction__needs_review=False)
    | Q(deduction__review__isnull=True)
    | Q(deduction__review__decision="confirmed")
) & Q(deduction__reversal__isnull=True)


def deduction_stands(event):
    """Whether a re-inspection may be recorded for `event`: it counts and is not reversed."""
    return event.counts and not ScoreEvent.objects.filter(reverses=event).exists()


def open_rectifications(*, households):
    """Live rectifications of `households` not re-inspected yet, the earliest due first."""
    return (
        Rectification.objects.filter(
            RECTIFICATION_LIVE, household__in=households, inspection__isnull=True
        )
        .select_related("household", "household__micro_grid", "deduction__item")
        .order_by("due_on", "pk")
    )


def rectifications_of(*, households, year=None):
    """Every live rectification of `households` (open or re-inspected), the latest due
    first, with its deduction, item and re-inspection: the household page and the download.
    `year`: only the deductions of that year."""
    rows = Rectification.objects.filter(RECTIFICATION_LIVE, household__in=households)
    if year is not None:
        rows = rows.filter(deduction__occurred_on__year=year)
    return rows.select_related(
        "household__community",
        "household__micro_grid",
        "deduction__item",
        "inspection__inspector",
        "inspection__earn_back",
    ).order_by("-due_on", "-pk")


def rectification_state(rectification, *, today):
    """(key, words) of where a live rectification stands: open, overdue, or the result."""
    inspection = rectification.inspection_or_none
    if inspection is not None:
        return inspection.result, inspection.get_result_display()
    if rectification.due_on < today:
        return "overdue", gettext("已逾期，待复查")
    return "open", gettext("待整改")


@dataclass
class RectificationFigures:
    """One grid's, community's or the whole scope's rectifications of a year."""

    opened: int = 0
    open: int = 0
    overdue: int = 0
    on_time: int = 0
    late: int = 0
    not_rectified: int = 0
    days: list = None

    @property
    def rectified(self):
        return self.on_time + self.late

    @property
    def rate(self):
        """Rectified ÷ those that should be done by now (re-inspected, or open past due),
        as a percent with one decimal; None when none is due yet."""
        due = self.on_time + self.late + self.not_rectified + self.overdue
        if not due:
            return None
        return (Decimal(100) * self.rectified / due).quantize(TENTH, rounding=ROUND_HALF_UP)

    @property
    def median_days(self):
        """Median days from the deduction to the re-inspection that found it rectified."""
        days = sorted(self.days or [])
        if not days:
            return None
        middle = len(days) // 2
        if len(days) % 2:
            return Decimal(days[middle])
        return (Decimal(days[middle - 1] + days[middle]) / 2).quantize(TENTH)


def rectification_statistics(*, households, year, today, months=None):
    """Rectification rate, median days to rectify and overdue counts of the deductions of
    `year` (`months`: (first, last) month, only the deductions of those months) among
    `households`: {"total", "towns": {id: …}, "communities": {id: …}, "grids": {id: …}},
    each a RectificationFigures (one query; a household without a grid counts only above
    it; the town is the household's community's, where it is scored)."""
    rows = Rectification.objects.filter(
        RECTIFICATION_LIVE, household__in=households, deduction__occurred_on__year=year
    )
    if months is not None:
        rows = rows.filter(
            deduction__occurred_on__month__gte=months[0],
            deduction__occurred_on__month__lte=months[1],
        )
    rows = rows.values(
        "due_on",
        "household__community__town_id",
        "household__community_id",
        "household__micro_grid_id",
        "deduction__occurred_on",
        "inspection__result",
        "inspection__inspected_on",
    )
    total = RectificationFigures(days=[])
    towns = defaultdict(lambda: RectificationFigures(days=[]))
    communities = defaultdict(lambda: RectificationFigures(days=[]))
    grids = defaultdict(lambda: RectificationFigures(days=[]))
    for row in rows:
        buckets = [
            total,
            towns[row["household__community__town_id"]],
            communities[row["household__community_id"]],
        ]
        if row["household__micro_grid_id"] is not None:
            buckets.append(grids[row["household__micro_grid_id"]])
        result = row["inspection__result"]
        for figures in buckets:
            figures.opened += 1
            if result is None:
                figures.open += 1
                figures.overdue += row["due_on"] < today
            elif result == RectificationInspection.Result.NOT_RECTIFIED:
                figures.not_rectified += 1
            else:
                if result == RectificationInspection.Result.ON_TIME:
                    figures.on_time += 1
                else:
                    figures.late += 1
                figures.days.append(
                    (row["inspection__inspected_on"] - row["deduction__occurred_on"]).days
                )
    return {
        "total": total,
        "towns": dict(towns),
        "communities": dict(communities),
        "grids": dict(grids),
    }
