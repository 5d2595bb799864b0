"""Reads of the points ledger. Every page, export and the dividend use these,
so a household's score means the same thing everywhere."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import ExtractMonth

from .models import (
    MonthStatusChange,
    ScoreEvent,
    ScoringItem,
    ScoringStandard,
    StandardAdoption,
)

ZERO = Decimal("0")

# An event counts unless it waits for review or was rejected.
COUNTING = Q(needs_review=False) | Q(review__decision="confirmed")
# Events that still take up room under a cap: counting ones and those awaiting review.
NOT_REJECTED = Q(needs_review=False) | Q(review__isnull=True) | Q(review__decision="confirmed")


def counting_events():
    return ScoreEvent.objects.filter(COUNTING)


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
        .annotate(total=Sum("points"))
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
        standard = standards.get(cooperative_id)
        scores[pk] = (
            None if standard is None else standard.clip(standard.base_points + totals.get(pk, ZERO))
        )
    return scores


def household_annual_score(*, household, year):
    standard = standard_for(cooperative=household.cooperative, year=year)
    if standard is None:
        return None
    total = event_totals(household_ids=[household.pk], year=year).get(household.pk, ZERO)
    return standard.clip(standard.base_points + total)


def monthly_points(*, household_ids, year):
    """{household_id: {month: Σ counting points}} for the year, one aggregate query."""
    rows = (
        counting_events()
        .filter(household_id__in=household_ids, occurred_on__year=year)
        .annotate(month=ExtractMonth("occurred_on"))
        .values("household_id", "month")
        .annotate(total=Sum("points"))
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
        running = standard.base_points
        series = []
        for month in range(1, through_month + 1):
            running += points.get(pk, {}).get(month, ZERO)
            series.append(standard.clip(running))
        result[pk] = series
    return result


def vetoed_household_ids(*, household_ids, year):
    """Households with a veto (一票否决) item in the year that was not reversed."""
    rows = (
        counting_events()
        .filter(household_id__in=household_ids, occurred_on__year=year, item__is_veto=True)
        .values("household_id", "item_id")
        .annotate(total=Sum("points"))
        .order_by()
    )
    return {row["household_id"] for row in rows if row["total"]}


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


def first_of_month(day):
    return date(day.year, day.month, 1)


def household_events(*, household, year):
    """The household's events of the year, newest first, with reversals and reviews at hand."""
    return (
        ScoreEvent.objects.filter(household=household, occurred_on__year=year)
        .select_related("item", "community", "entered_by", "reverses", "review", "reversal")
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
        .annotate(total=Sum("points"))
        .order_by()
        .values_list("household_id", "total")
    )
    # Ordered by number (the cooperative's index) rather than by the default ordering,
    # which joins the cooperative only to sort by its code: the same households, same order.
    household_ids = cooperative.households.order_by("number").values_list("pk", flat=True)
    scores = {
        pk: standard.clip(standard.base_points + (totals.get(pk) or ZERO)) for pk in household_ids
    }
    # The veto items by id (a handful), so that the index on item_id finds their few
    # events instead of scanning all of the year's events: same rows as item__is_veto=True.
    veto_items = list(ScoringItem.objects.filter(is_veto=True).values_list("pk", flat=True))
    veto_rows = (
        events.filter(item_id__in=veto_items)
        .values("household_id", "item_id")
        .annotate(total=Sum("points"))
        .order_by()
        if veto_items
        else []
    )
    vetoed = {row["household_id"] for row in veto_rows if row["total"]}
    return scores, vetoed
