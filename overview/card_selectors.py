"""Reads of the shareholder point card (股东积分卡, docs/villagers.md): the household's
score, months, grid average, approved dividend lines and the years offered. Moved from
`villages.selectors` (issue 21): the card reads the register, the points ledger and the
dividends, so it lives above all three."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from accounts.scope import households_visible_to
from communities import selectors as points
from communities.models import ScoreEvent, ScoringStandard
from dividends.models import DividendLine, DividendRun
from villages.models import Household

ZERO = Decimal("0")
TENTH = Decimal("0.1")
# The grid average is shown only when it mixes at least this many households (the
# villager's own included): with two, the average would give away the neighbour's score.
MIN_GRID_FOR_AVERAGE = 3


# --- The shareholder point card (股东积分卡) ------------------------------------


def card_households(*, user):
    """The households whose card `user` may see, with what the card page shows of them."""
    return households_visible_to(user).select_related("cooperative", "community", "micro_grid")


def grid_average_series(*, household, year, through_month):
    """The micro-grid's monthly average running score, months 1..`through_month`.

    Numbers only, never names; None when the household has no grid, no month has begun,
    or fewer than `MIN_GRID_FOR_AVERAGE` grid households are scored, so that an average
    never stands for one other household's score.
    """
    if household.micro_grid_id is None or through_month == 0:
        return None
    series = points.monthly_scores(
        households=Household.objects.filter(micro_grid_id=household.micro_grid_id),
        year=year,
        through_month=through_month,
    )
    if len(series) < MIN_GRID_FOR_AVERAGE:
        return None
    scores = list(series.values())
    return [
        (sum(row[index] for row in scores) / len(scores)).quantize(TENTH, rounding=ROUND_HALF_UP)
        for index in range(through_month)
    ]


def approved_dividend_lines(*, household):
    """The household's lines of approved dividend runs (their snapshots), newest first."""
    return list(
        DividendLine.objects.filter(household=household, run__status=DividendRun.Status.APPROVED)
        .select_related("run")
        .order_by("-run__year", "-run__version")
    )


@dataclass(frozen=True)
class PointCard:
    """The domain figures of one household's point card for a year (no display text)."""

    standard: ScoringStandard | None
    total: Decimal  # Σ counting event points of the year
    score: Decimal | None  # base + total, clipped; None without a standard
    vetoed: bool
    veto_pending: bool  # a veto (or its reversal) waits for the second staff member
    pending_count: int  # events of the year still waiting for review
    points_by_month: dict  # {month: Decimal}
    own_series: list  # running clipped score after months 1..through_month ([] w/o standard)
    average: list | None  # `grid_average_series`, None when hidden or without a standard
    items: list  # the standard's scoring items ([] without a standard)
    dividend_lines: list  # `approved_dividend_lines`


def point_card(*, household, year, through_month):
    """Everything the point card shows of `household` in `year`, set-based and bounded:
    the same queries for 10 or 2,000 events (the event list is paged by the caller)."""
    standard = points.standard_for(cooperative=household.cooperative, year=year)
    total = points.event_totals(household_ids=[household.pk], year=year).get(household.pk, ZERO)
    score = points.annual_score(standard=standard, total=total)
    vetoed = household.pk in points.vetoed_household_ids(household_ids=[household.pk], year=year)
    pending_count = ScoreEvent.objects.filter(
        points.PENDING, household=household, occurred_on__year=year
    ).count()

    points_by_month = points.monthly_points(household_ids=[household.pk], year=year).get(
        household.pk, {}
    )
    own_series = points.running_scores(
        standard=standard, points_by_month=points_by_month, through_month=through_month
    )
    average = (
        grid_average_series(household=household, year=year, through_month=through_month)
        if standard is not None
        else None
    )
    return PointCard(
        standard=standard,
        total=total,
        score=score,
        vetoed=vetoed,
        veto_pending=household.pk
        in points.pending_veto_household_ids(household_ids=[household.pk], year=year),
        pending_count=pending_count,
        points_by_month=points_by_month,
        own_series=own_series,
        average=average,
        items=[] if standard is None else list(standard.items.all()),
        dividend_lines=approved_dividend_lines(household=household),
    )


def card_years(*, household, current_year):
    """The years the point card offers, newest first: a year appears only where there is
    something to read — an event of the household, an approved dividend line, or (for the
    current year) a published standard the cooperative adopted, which gives the base score."""
    from communities.models import StandardAdoption

    years = set(
        ScoreEvent.objects.filter(household=household)
        .values_list("occurred_on__year", flat=True)
        .distinct()
    )
    years.update(
        DividendLine.objects.filter(household=household, run__status=DividendRun.Status.APPROVED)
        .values_list("run__year", flat=True)
        .distinct()
    )
    if StandardAdoption.objects.filter(
        cooperative_id=household.cooperative_id,
        year=current_year,
        standard__status=ScoringStandard.Status.PUBLISHED,
    ).exists():
        years.add(current_year)
    return sorted((year for year in years if year <= current_year), reverse=True)
