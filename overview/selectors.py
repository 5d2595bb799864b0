"""Reads of the subdistrict overview (街道总览, docs/overview.md): the village–community
linkage matrix, the statistics, the 红黑榜, the cooperative overview and each role's to-do
list.

Every function starts from `accounts.scope` and runs a fixed number of queries whatever
the number of households and events: aggregates are grouped in the database, and only
per-household totals (one row per household) come back to Python where a score has to be
clipped to its cooperative's standard.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Max, Q
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from accounts.scope import (
    communities_linked_to,
    communities_visible_to,
    cooperatives_signed_by,
    cooperatives_visible_to,
    households_scorable_by,
    households_visible_to,
)
from communities.models import Community, MicroGrid, ScoreEvent
from communities.selectors import (
    STANDING,
    annual_score,
    closed_months,
    counting_events,
    low_streaks,
    monthly_scores,
    review_queue,
    standards_by_cooperative,
    visited_in_month,
)
from pinghu_points.aggregates import ExactSum
from pinghu_points.months import previous_month
from villages.models import Cooperative, Household, ShareMovement, Village

ZERO = Decimal("0")
TENTH = Decimal("0.1")
# Persistently low (the points chart's defaults): below 60 for 3 months in a row.
LOW_THRESHOLD = Decimal("60")
LOW_MONTHS = 3
HONOR_ROLL_SIZE = 10
# Histogram of annual scores: below 60, then bands of 10 up to 120 and above.
HISTOGRAM_EDGES = [Decimal(edge) for edge in (60, 70, 80, 90, 100, 110, 120)]


def one_decimal(value):
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def percent(part, whole):
    """Share in percent with one decimal, None when there is nothing to share."""
    if not whole:
        return None
    return one_decimal(Decimal(part) * 100 / Decimal(whole))


def _events_of(households):
    """Counting events of the households. A scope without any filter is every household
    (the admin's): then no semi-join against the register, which would cost a hash join
    of every event with 100,000 households for nothing."""
    events = counting_events()
    return events.filter(household__in=households) if households.query.where else events


# --- A town's part of every page (docs/towns.md, "A town's overview") ---------------------


def towns_visible_to(user):
    """The towns (镇/街道) the user's scope reaches: those of the cooperatives and of the
    communities it sees (`accounts.scope`), so the figures follow whatever scope the user
    has. One query when evaluated."""
    from villages.models import Town

    return Town.objects.filter(
        Q(pk__in=cooperatives_visible_to(user).values("village__town_id"))
        | Q(pk__in=communities_visible_to(user).values("town_id"))
    ).order_by("code")


def town_households(households, town):
    """A town's households on its overview pages: those of its cooperatives (where their
    points count) and those living in its communities (where they are scored), so a
    household linked across towns shows in both towns' pages. `town` None: all of them."""
    if town is None:
        return households
    return households.filter(Q(cooperative__village__town=town) | Q(community__town=town))


def town_communities(communities, town, *, also=()):
    """A town's communities, and those (ids in `also`) its households live in."""
    if town is None:
        return communities
    return communities.filter(Q(town=town) | Q(pk__in=[pk for pk in also if pk is not None]))


def _household_totals(households, *, year, through_month=12):
    """{household_id: (Σ counting points, standing events)} in the year up to the month: one query."""
    rows = (
        _events_of(households)
        .filter(occurred_on__year=year, occurred_on__month__lte=through_month)
        .values("household_id")
        .annotate(total=ExactSum("points"), standing=Count("pk", filter=STANDING))
        .order_by()
    )
    return {row["household_id"]: (row["total"] or ZERO, row["standing"]) for row in rows}


# --- 1. Linkage matrix (村社联动) -------------------------------------------------------


@dataclass
class Cell:
    community_id: int | None = None
    households: int = 0
    scored: int = 0
    score_sum: Decimal = ZERO
    score_count: int = 0

    def add(self, score, scored):
        self.households += 1
        self.scored += 1 if scored else 0
        if score is not None:
            self.score_sum += score
            self.score_count += 1

    @property
    def average(self):
        return one_decimal(self.score_sum / self.score_count) if self.score_count else None

    @property
    def scored_percent(self):
        return percent(self.scored, self.households)


@dataclass
class Matrix:
    year: int
    last_month: date
    villages: list  # Village, each with .theme (str) and .is_dissolved
    communities: list  # Community, each with .last_month_closed (bool)
    cells: dict = field(default_factory=dict)  # {(village_id, community_id): Cell}
    row_totals: dict = field(default_factory=dict)  # {village_id: Cell}
    column_totals: dict = field(default_factory=dict)  # {community_id: Cell}
    total: Cell = field(default_factory=Cell)

    def rows(self):
        """[(village, [cell or None per community], row total)] for the template."""
        return [
            (
                village,
                [self.cells.get((village.pk, community.pk)) for community in self.communities],
                self.row_totals[village.pk],
            )
            for village in self.villages
        ]

    def columns(self):
        return [(community, self.column_totals.get(community.pk)) for community in self.communities]

    @property
    def behind(self):
        return [community for community in self.communities if not community.last_month_closed]


def linkage_matrix(*, user, year, today, town=None):
    """Villages (by the cooperative of the household) × communities (where it lives).

    Per cell: households, how many had a standing event in the year, and their average
    annual score (base + counting events clipped to the standard, households whose
    cooperative adopted no published standard left out of the average). Six queries.
    With a `town`, the town's households and communities only (`town_households`).
    """
    households = town_households(households_visible_to(user), town)
    pairs = list(
        households.order_by().values_list(
            "pk", "cooperative_id", "cooperative__village_id", "community_id"
        )
    )
    standards = standards_by_cooperative(
        cooperative_ids={cooperative_id for _, cooperative_id, _, _ in pairs}, year=year
    )
    totals = _household_totals(households, year=year)
    matrix = Matrix(year=year, last_month=previous_month(today), villages=[], communities=[])
    village_cooperative = {}
    for pk, cooperative_id, village_id, community_id in pairs:
        total, standing = totals.get(pk, (ZERO, 0))
        score = annual_score(standard=standards.get(cooperative_id), total=total)
        for key, bucket in (
            ((village_id, community_id), matrix.cells),
            (village_id, matrix.row_totals),
            (community_id, matrix.column_totals),
        ):
            bucket.setdefault(key, Cell(community_id=community_id)).add(score, standing > 0)
        matrix.total.add(score, standing > 0)
        village_cooperative[village_id] = cooperative_id
    villages = list(
        Village.objects.filter(pk__in=matrix.row_totals)
        .select_related("committee")
        .order_by("code")
    )
    for village in villages:
        standard = standards.get(village_cooperative.get(village.pk))
        village.theme = standard.theme if standard is not None else ""
        village.committee_id = getattr(getattr(village, "committee", None), "pk", None)
    matrix.villages = villages
    communities = list(
        town_communities(
            communities_linked_to(user), town, also={pair[3] for pair in pairs}
        ).order_by("code")
    )
    closed = closed_months(
        community_ids=[community.pk for community in communities], months=[matrix.last_month]
    )
    for community in communities:
        community.last_month_closed = (community.pk, matrix.last_month) in closed
    matrix.communities = communities
    return matrix


def matrix_cell_households(*, user, village_id, community_id):
    """The households behind one cell, in the user's scope; None for a cell outside it.

    A cell is the user's when both its community and its village's cooperative are in
    scope: a cell outside it is not there at all, not an empty list.
    """
    if not (
        communities_linked_to(user).filter(pk=community_id).exists()
        and cooperatives_visible_to(user).filter(village_id=village_id).exists()
    ):
        return None
    households = households_visible_to(user).filter(
        cooperative__village_id=village_id, community_id=community_id
    )
    return households.select_related("cooperative", "community", "micro_grid").order_by(
        "cooperative__code", "number"
    )


def household_year_figures(*, households, year):
    """{household_id: (annual score or None, standing events)} for a page of households."""
    pairs = [(household.pk, household.cooperative_id) for household in households]
    standards = standards_by_cooperative(
        cooperative_ids={cooperative_id for _, cooperative_id in pairs}, year=year
    )
    totals = _household_totals(Household.objects.filter(pk__in=[pk for pk, _ in pairs]), year=year)
    return {
        pk: (
            annual_score(
                standard=standards.get(cooperative_id), total=totals.get(pk, (ZERO, 0))[0]
            ),
            totals.get(pk, (ZERO, 0))[1],
        )
        for pk, cooperative_id in pairs
    }


# --- 2. Statistics ----------------------------------------------------------------------


def statistics(*, user, year, month_from, month_to, town=None):
    """Events and points by category and item, by community and by village, participation,
    the histogram of annual scores (at the end of `month_to`) and the monthly trend.

    "events" counts standing originals (not reversals, not reversed); "adds" those with
    positive points; "points" is the net sum, reversals included.

    Two passes over the events whatever the number of households and events: one grouped
    aggregate at the grain (item, scoring community, cooperative, month) — a few hundred rows
    that Python folds into every table — and one per-household aggregate (annual score
    and standing adds) for the participation and the histogram. Eight queries in all.
    With a `town`, its households and communities only (`town_households`).
    """
    from communities.models import ScoringItem

    households = town_households(households_visible_to(user), town)
    events = _events_of(households).filter(
        occurred_on__year=year,
        occurred_on__month__gte=month_from,
        occurred_on__month__lte=month_to,
    )
    grain = (
        events.annotate(month=ExtractMonth("occurred_on"))
        .values("item_id", "community_id", "household__cooperative_id", "month")
        .annotate(
            events=Count("pk", filter=STANDING),
            adds=Count("pk", filter=STANDING & Q(points__gt=0)),
            deducts=Count("pk", filter=STANDING & Q(points__lt=0)),
            points=ExactSum("points"),
        )
        .order_by()
    )

    def bucket(table, key, **fields):
        return table.setdefault(
            key, {**fields, "events": 0, "adds": 0, "deducts": 0, "points": ZERO}
        )

    def add(row, into):
        for name in ("events", "adds", "deducts"):
            into[name] += row[name]
        into["points"] += row["points"] or ZERO

    category_labels = dict(ScoringItem.Category.choices)
    direction_labels = dict(ScoringItem.Direction.choices)
    items, categories, communities_seen, villages_seen, months = {}, {}, {}, {}, {}
    grain = list(grain)
    item_rows = {
        item.pk: item
        for item in ScoringItem.objects.filter(pk__in={row["item_id"] for row in grain}).only(
            "category", "direction", "name"
        )
    }
    village_of = dict(
        Cooperative.objects.filter(
            pk__in={row["household__cooperative_id"] for row in grain}
        ).values_list("pk", "village_id")
    )
    for row in grain:
        item = item_rows[row["item_id"]]
        category = item.category
        add(
            row,
            bucket(
                items,
                (category, item.direction, item.name),
                item__category=category,
                item__direction=item.direction,
                item__name=item.name,
                category_label=category_labels.get(category, category),
                direction_label=direction_labels.get(item.direction, ""),
            ),
        )
        add(
            row,
            bucket(
                categories,
                category,
                category=category,
                label=category_labels.get(category, category),
            ),
        )
        add(row, bucket(communities_seen, row["community_id"]))
        add(row, bucket(villages_seen, village_of[row["household__cooperative_id"]]))
        add(row, bucket(months, row["month"]))

    # Per household: the annual score up to month_to and whether it had a standing add in
    # the range; the households themselves give the counts per community.
    pairs = list(households.order_by().values_list("pk", "cooperative_id", "community_id"))
    standards = standards_by_cooperative(
        cooperative_ids={cooperative_id for _, cooperative_id, _ in pairs}, year=year
    )
    per_household = {
        row["household_id"]: row
        for row in _events_of(households)
        .filter(occurred_on__year=year, occurred_on__month__lte=month_to)
        .values("household_id")
        .annotate(
            total=ExactSum("points"),
            adds=Count("pk", filter=STANDING & Q(points__gt=0, occurred_on__month__gte=month_from)),
        )
        .order_by()
    }
    household_counts, participants = defaultdict(int), defaultdict(int)
    band_counts = [0] * (len(HISTOGRAM_EDGES) + 1)
    for pk, cooperative_id, community_id in pairs:
        row = per_household.get(pk)
        household_counts[community_id] += 1
        if row is not None and row["adds"]:
            participants[community_id] += 1
        score = annual_score(standard=standards.get(cooperative_id), total=(row or {}).get("total"))
        if score is not None:
            band_counts[sum(1 for edge in HISTOGRAM_EDGES if score >= edge)] += 1

    by_community = []
    for community in town_communities(
        communities_visible_to(user), town, also=set(household_counts)
    ).order_by("code"):
        row = communities_seen.get(community.pk, {})
        count = household_counts.get(community.pk, 0)
        by_community.append(
            {
                "community": community,
                "events": row.get("events", 0),
                "adds": row.get("adds", 0),
                "points": row.get("points", ZERO),
                "households": count,
                "participants": participants.get(community.pk, 0),
                "participation": percent(participants.get(community.pk, 0), count),
            }
        )
    by_village = [
        {"household__cooperative__village__name": village.name, **villages_seen[village.pk]}
        for village in Village.objects.filter(pk__in=list(villages_seen)).order_by("code")
    ]
    household_total = len(pairs)
    participant_total = sum(participants.values())
    trend = [
        {
            "month": month,
            "events": months.get(month, {}).get("events", 0),
            "adds": months.get(month, {}).get("adds", 0),
            "points": months.get(month, {}).get("points", ZERO),
        }
        for month in range(month_from, month_to + 1)
    ]
    return {
        "categories": [categories[key] for key in sorted(categories)],
        "items": [items[key] for key in sorted(items)],
        "by_community": by_community,
        "by_village": by_village,
        "households": household_total,
        "participants": participant_total,
        "participation": percent(participant_total, household_total),
        "histogram": [
            {"label": label, "count": count}
            for label, count in zip(histogram_labels(), band_counts, strict=True)
        ],
        "trend": trend,
    }


def statistics_rectifications(*, user, year, month_from, month_to, today):
    """The statistics page's rectification (整改) figures: rate, median days and overdue
    counts (`communities.selectors.rectification_statistics`, the one rule) of the range's
    deductions among the households the user sees, in total and per town, community and
    micro-grid, each a list of (place, RectificationFigures) in code order. Three queries."""
    from communities.selectors import rectification_statistics

    figures = rectification_statistics(
        households=households_visible_to(user),
        year=year,
        today=today,
        months=(month_from, month_to),
    )
    communities = list(
        Community.objects.filter(pk__in=list(figures["communities"]))
        .select_related("town")
        .order_by("town__code", "code")
    )
    grids = MicroGrid.objects.filter(pk__in=list(figures["grids"])).select_related("community")
    towns = {community.town_id: community.town for community in communities}
    return {
        "total": figures["total"],
        "towns": [
            (town, figures["towns"][pk])
            for pk, town in sorted(towns.items(), key=lambda pair: pair[1].code)
        ],
        "communities": [(c, figures["communities"][c.pk]) for c in communities],
        "grids": [
            (grid, figures["grids"][grid.pk]) for grid in grids.order_by("community__code", "code")
        ],
    }


def histogram_labels():
    labels = [f"<{HISTOGRAM_EDGES[0]}"]
    labels += [
        f"{low}–{high}" for low, high in zip(HISTOGRAM_EDGES, HISTOGRAM_EDGES[1:], strict=False)
    ]
    labels.append(f"≥{HISTOGRAM_EDGES[-1]}")
    return labels


# --- 3. 红黑榜 ---------------------------------------------------------------------------


def honor_roll(*, community, month, size=HONOR_ROLL_SIZE):
    """(红榜, 黑榜) of the community's households (where they live) for the month.

    红榜: the households with the most net counting points above zero, most first;
    黑榜: those below zero, lowest first; ties by cooperative code and household number.
    Each row: {"household", "points"}. Three queries.
    """
    totals = (
        counting_events()
        .filter(
            household__community=community,
            occurred_on__year=month.year,
            occurred_on__month=month.month,
        )
        .values("household_id")
        .annotate(total=ExactSum("points"))
        .order_by()
    )
    totals = {row["household_id"]: row["total"] for row in totals if row["total"]}
    ids_red = [pk for pk, total in totals.items() if total > 0]
    ids_black = [pk for pk, total in totals.items() if total < 0]
    households = {
        household.pk: household
        for household in Household.objects.filter(pk__in=ids_red + ids_black).select_related(
            "cooperative"
        )
    }

    def ranked(ids, descending):
        rows = [{"household": households[pk], "points": totals[pk]} for pk in ids]
        rows.sort(
            key=lambda row: (
                -row["points"] if descending else row["points"],
                row["household"].cooperative.code,
                row["household"].number,
            )
        )
        return rows[:size]

    return ranked(ids_red, True), ranked(ids_black, False)


def honor_roll_latest_month(*, community, today):
    """The first day of the latest month, up to today's, in which the community's
    households have a counting event: the 红黑榜 opens there, not on an empty month (the
    current month is empty until someone scores). Today's month when there is none."""
    latest = (
        counting_events()
        .filter(household__community=community, occurred_on__lte=today)
        .aggregate(latest=Max("occurred_on"))["latest"]
    )
    return (latest or today).replace(day=1)


def honor_roll_published_on(*, community):
    """The local day the community's 红榜 was last shown to villagers (the audit trail of
    `community_set_honor_roll_published`), or None: not published, or switched on where
    nothing is audited (the admin form)."""
    if not community.honor_roll_published:
        return None
    from accounts.models import AuditRecord

    record = (
        AuditRecord.objects.filter(
            action="community.honor_roll_published",
            object_type=community._meta.label,
            object_id=str(community.pk),
            details__after=True,
        )
        .order_by("-at")
        .first()
    )
    return timezone.localdate(record.at) if record is not None else None


# --- 4. Cooperative overview --------------------------------------------------------------


def _chosen_runs(runs):
    """{(cooperative_id, year): run}: the approved run, else the latest version."""
    chosen = {}
    for run in runs:
        key = (run.cooperative_id, run.year)
        current = chosen.get(key)
        if current is None or (run.status == run.Status.APPROVED) > (
            current.status == current.Status.APPROVED
        ):
            chosen[key] = run
        elif (run.status == run.Status.APPROVED) == (
            current.status == current.Status.APPROVED
        ) and run.version > current.version:
            chosen[key] = run
    return chosen


FIGURES = ("total", "base_pool", "incentive_pool", "base_paid", "incentive_paid", "remainder")


def cooperative_overview(*, user, year, town=None):
    """Per cooperative the user may read the runs of: this year's and last year's run
    (the approved one, else the latest version) with pools, base and incentive paid
    (Σ of the lines), remainder kept, and the change from last year; and the total.
    With a `town`, that town's cooperatives only. Three queries."""
    from dividends.models import DividendLine, DividendRun

    cooperatives = cooperatives_signed_by(user).select_related("village")
    if town is not None:
        cooperatives = cooperatives.filter(village__town=town)
    cooperatives = list(cooperatives.order_by("code"))
    runs = DividendRun.objects.filter(
        cooperative__in=[cooperative.pk for cooperative in cooperatives],
        year__in=[year, year - 1],
    ).order_by()
    chosen = _chosen_runs(runs)
    paid = {
        row["run_id"]: row
        for row in DividendLine.objects.filter(run_id__in=[run.pk for run in chosen.values()])
        .values("run_id")
        .annotate(base=ExactSum("base_amount"), incentive=ExactSum("incentive_amount"))
        .order_by()
    }

    def figures(run):
        if run is None:
            return None
        lines = paid.get(run.pk, {})
        computed = run.status in (run.Status.COMPUTED, run.Status.APPROVED)
        return {
            "run": run,
            "total": run.total,
            "base_pool": run.base_pool,
            "incentive_pool": run.incentive_pool,
            "base_paid": (lines.get("base") or ZERO) if computed else None,
            "incentive_paid": run.incentive_paid if computed else None,
            "remainder": run.remainder if computed else None,
        }

    rows = []
    totals = {"current": dict.fromkeys(FIGURES, ZERO), "previous": dict.fromkeys(FIGURES, ZERO)}
    for cooperative in cooperatives:
        current = figures(chosen.get((cooperative.pk, year)))
        previous = figures(chosen.get((cooperative.pk, year - 1)))
        change = {}
        for name in FIGURES:
            now = current and current[name]
            before = previous and previous[name]
            change[name] = now - before if now is not None and before is not None else None
            for key, value in (("current", now), ("previous", before)):
                if value is not None:
                    totals[key][name] += value
        rows.append(
            {"cooperative": cooperative, "current": current, "previous": previous, "change": change}
        )
    totals["change"] = {
        name: totals["current"][name] - totals["previous"][name] for name in FIGURES
    }
    return {"rows": rows, "totals": totals}


# --- 6. The city overview (towns side by side) -------------------------------------------


@dataclass
class TownRow:
    """One town's figures on the city overview, each by the rule of the page it comes
    from: households, scored and 均分 the matrix's (`Cell`), events the headline's
    (standing events of the year), months not closed the staff's to-do list
    (`months_to_close`), runs and money the cooperative overview's (`cooperative_overview`,
    the approved run of the year, else the latest version)."""

    town: object = None  # villages.Town; None for the city's total
    cell: Cell = field(default_factory=Cell)
    events: int = 0
    months_not_closed: int = 0
    runs_computed: int = 0  # computed, waiting for approval
    runs_approved: int = 0
    runs_paid: int = 0  # approved and recorded as paid (发放)
    base_paid: Decimal = ZERO
    incentive_paid: Decimal = ZERO
    remainder: Decimal = ZERO

    def add_run(self, figures, *, paid):
        if figures is None:
            return
        run = figures["run"]
        self.runs_computed += run.status == run.Status.COMPUTED
        self.runs_approved += run.status == run.Status.APPROVED
        self.runs_paid += paid
        for name in ("base_paid", "incentive_paid", "remainder"):
            if figures[name] is not None:
                setattr(self, name, getattr(self, name) + figures[name])


def town_overview(*, user, year, today):
    """The towns (`towns_visible_to`) side by side for the year, and the city's total.

    A household counts in its cooperative's town (where its points count, docs/towns.md),
    a community's months in the community's town, a run in its cooperative's town, so the
    towns add up to the total. Ten queries whatever the number of towns and households:
    towns; households; standards; the year's events per household; communities and their
    month closes; the cooperative overview's three; the payments.
    """
    from dividends.models import DividendPayment

    rows = {town.pk: TownRow(town=town) for town in towns_visible_to(user)}
    total = TownRow()

    def of(town_id):
        return [row for row in (rows.get(town_id), total) if row is not None]

    households = households_visible_to(user)
    pairs = list(
        households.order_by().values_list("pk", "cooperative_id", "cooperative__village__town_id")
    )
    standards = standards_by_cooperative(
        cooperative_ids={cooperative_id for _, cooperative_id, _ in pairs}, year=year
    )
    totals = _household_totals(households, year=year)
    for pk, cooperative_id, town_id in pairs:
        points, standing = totals.get(pk, (ZERO, 0))
        score = annual_score(standard=standards.get(cooperative_id), total=points)
        for row in of(town_id):
            row.cell.add(score, standing > 0)
            row.events += standing

    communities = list(communities_visible_to(user).order_by("code"))
    for community, _month in months_to_close(communities=communities, today=today):
        for row in of(community.town_id):
            row.months_not_closed += 1

    dividends = cooperative_overview(user=user, year=year)
    approved = [
        row["current"]["run"].pk
        for row in dividends["rows"]
        if row["current"] and row["current"]["run"].status == row["current"]["run"].Status.APPROVED
    ]
    paid = set(DividendPayment.objects.filter(run_id__in=approved).values_list("run_id", flat=True))
    for row in dividends["rows"]:
        current = row["current"]
        for town_row in of(row["cooperative"].village.town_id):
            town_row.add_run(current, paid=bool(current) and current["run"].pk in paid)
    return {"year": year, "today": today, "rows": list(rows.values()), "total": total}


# --- 5. Each role's to-do list ------------------------------------------------------------


def months_to_close(*, communities, today):
    """[(community, month)] of this year's past months not closed, oldest first. One query."""
    months = [date(today.year, month, 1) for month in range(1, today.month)]
    closed = closed_months(community_ids=[community.pk for community in communities], months=months)
    return [
        (community, month)
        for month in months
        for community in communities
        if (community.pk, month) not in closed
    ]


def low_not_visited(*, user, today):
    """Households in the staff member's communities below 60 for 3 months in a row up to
    this month that were not visited this month (`visited_in_month`, the door's rule): a
    list of ids."""
    households = households_scorable_by(user)
    series = monthly_scores(households=households, year=today.year, through_month=today.month)
    low = low_streaks(series=series, threshold=LOW_THRESHOLD, months=LOW_MONTHS)
    if not low:
        return []
    visited = visited_in_month(household_ids=list(low), month=today.replace(day=1))
    return sorted(pk for pk in low if pk not in visited)


def open_appeals(*, user, today):
    """Open appeals the user must answer: how many, and the age in days of the oldest."""
    from appeals.selectors import open_appeals_for

    filed = list(open_appeals_for(user).values_list("filed_at", flat=True))
    oldest = (today - timezone.localdate(min(filed))).days if filed else None
    return {"count": len(filed), "oldest_days": oldest}


def overdue_matters(*, user, today):
    """Matters (议事) past their due date that the user follows (their grids') or handles
    (assigned to their community): how many, and the days the oldest is overdue."""
    from matters.selectors import overdue_matters_for

    due = list(overdue_matters_for(user, today=today).values_list("due_on", flat=True))
    return {"count": len(due), "oldest_days": (today - min(due)).days if due else None}


def open_rectification_counts(*, user, today):
    """Open rectifications of the user's households (scoring scope) and how many are overdue."""
    from communities.selectors import open_rectifications

    dues = list(
        open_rectifications(households=households_scorable_by(user)).values_list(
            "due_on", flat=True
        )
    )
    return {"count": len(dues), "overdue": sum(due < today for due in dues)}


def staff_todo(*, user, today):
    communities = list(communities_visible_to(user).order_by("code"))
    return {
        "open_rectifications": open_rectification_counts(user=user, today=today),
        "open_appeals": open_appeals(user=user, today=today),
        "overdue_matters": overdue_matters(user=user, today=today),
        "months_to_close": months_to_close(communities=communities, today=today),
        "pending_reviews": review_queue(user=user).count(),
        "low_not_visited": len(low_not_visited(user=user, today=today)),
        "communities": communities,
    }


def accountant_todo(*, user, today=None):
    """Runs to compute (draft, failed) or approve (computed), and register changes
    (share movements) recorded since the cooperative's latest run was created."""
    from dividends.models import DividendRun

    cooperatives = list(cooperatives_signed_by(user))
    runs = DividendRun.objects.filter(cooperative__in=cooperatives)
    counts = runs.aggregate(
        to_compute=Count(
            "pk", filter=Q(status__in=[DividendRun.Status.DRAFT, DividendRun.Status.FAILED])
        ),
        to_approve=Count("pk", filter=Q(status=DividendRun.Status.COMPUTED)),
    )
    counts.update(award_todo(cooperatives=cooperatives))
    latest = runs.order_by("-created_at").values_list("created_at", flat=True).first()
    movements = ShareMovement.objects.filter(household__cooperative__in=cooperatives)
    if latest is not None:
        movements = movements.filter(recorded_at__gt=latest)
    return {
        **counts,
        "open_appeals": open_appeals(user=user, today=today or timezone.localdate()),
        "register_changes": movements.count(),
        "since": latest,
    }


def award_todo(*, cooperatives):
    """Award runs (奖励发放) to compute again (failed) and to approve (computed)."""
    from awards.models import AwardRun

    return AwardRun.objects.filter(cooperative__in=cooperatives).aggregate(
        awards_failed=Count("pk", filter=Q(status=AwardRun.Status.FAILED)),
        awards_to_approve=Count("pk", filter=Q(status=AwardRun.Status.COMPUTED)),
    )


HEADLINE_CACHE_SECONDS = 600


def headline_figures(*, user, today):
    """Households, households scored this year (a standing event) and standing events this
    year, in the user's scope.

    Two passes over the year's events (seconds at 2 million events), so the result is
    cached, keyed by what it depends on: the user, the year, the household count and the
    highest score event and review ids. The ledger is append-only, so a new event, a
    reversal or a review changes the key and the figures are recomputed; nothing else
    changes them.
    """
    from django.core.cache import cache
    from django.db.models import Max

    from communities.models import EventReview

    households = households_visible_to(user)
    household_count = households.count()
    last_event = ScoreEvent.objects.aggregate(last=Max("pk"))["last"]
    last_review = EventReview.objects.aggregate(last=Max("pk"))["last"]
    key = f"overview:headline:{user.pk}:{today.year}:{household_count}:{last_event}:{last_review}"
    figures = cache.get(key)
    if figures is None:
        year_events = _events_of(households).filter(STANDING, occurred_on__year=today.year)
        figures = {
            "household_count": household_count,
            "scored": year_events.values("household_id").distinct().count(),
            "events": year_events.count(),
        }
        cache.set(key, figures, HEADLINE_CACHE_SECONDS)
    return {**figures, "scored_percent": percent(figures["scored"], household_count)}


LOOKUP_BLOCK_DAYS = 7


def lookup_blocks():
    """How often in the last week a look-up by a whole secret number was stopped after a
    series of misses (accounts.lookup_limits): the bank's ID look-up, the staff's search."""
    from accounts.lookup_limits import blocked_recently

    blocks = blocked_recently(
        actions=["bank.lookup_blocked", "household.number_search_blocked"],
        days=LOOKUP_BLOCK_DAYS,
    )
    counts = dict(blocks.values_list("action").annotate(count=Count("pk")).order_by())
    return {
        "bank_lookup_blocks": counts.get("bank.lookup_blocked", 0),
        "number_search_blocks": counts.get("household.number_search_blocked", 0),
        "lookup_block_days": LOOKUP_BLOCK_DAYS,
    }


def admin_todo(*, user, today):
    """Communities that have not closed last month, lockouts and the headline figures."""
    from accounts.backends import current_lockouts
    from awards.selectors import approved_awards

    communities = list(communities_visible_to(user).order_by("code"))
    last = previous_month(today)
    closed = closed_months(community_ids=[community.pk for community in communities], months=[last])
    return {
        "last_month": last,
        "behind": [community for community in communities if (community.pk, last) not in closed],
        "lockouts": _lockouts_of(user, current_lockouts("username")),
        "overdue_matters": overdue_matters(user=user, today=today),
        **lookup_blocks(),
        **headline_figures(user=user, today=today),
        # The town's award figures of the year: what the villages' funds paid and kept.
        "awards": approved_awards(cooperatives=cooperatives_signed_by(user), year=today.year),
        **award_todo(cooperatives=cooperatives_signed_by(user)),
    }


def _lockouts_of(user, rows):
    """How many locked-out logins the admin may unlock (their town's; a name that is
    nobody's login counts for every admin, as on the lockouts page)."""
    from accounts.models import User
    from accounts.scope import logins_unlockable_by

    names = {row["key"] for row in rows}
    known = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    theirs = set(
        logins_unlockable_by(user).filter(username__in=names).values_list("username", flat=True)
    )
    return len(theirs | (names - known))


def group_months(pairs):
    """[(community, [months])] from [(community, month)], communities in first-seen order."""
    grouped = defaultdict(list)
    order = []
    for community, month in pairs:
        if community.pk not in grouped:
            order.append(community)
        grouped[community.pk].append(month)
    return [(community, grouped[community.pk]) for community in order]


def home_summary(*, user, today=None):
    """What the role's home page shows: the role's to-do list first, then its scope, counted."""
    today = today or timezone.localdate()
    households = households_visible_to(user)
    summary = {
        "household_count": households.count(),
        "cooperatives": cooperatives_visible_to(user).annotate(
            household_total=Count("households", distinct=True)
        ),
        "communities": communities_visible_to(user),
    }
    if user.is_villager:
        summary["household"] = households.select_related(
            "cooperative", "community", "micro_grid"
        ).first()
    if user.is_community_staff:
        summary["micro_grids"] = (
            MicroGrid.objects.filter(community__in=communities_visible_to(user))
            .select_related("community")
            .annotate(household_total=Count("households"))
        )
    if user.is_community_staff:
        summary["staff_todo"] = staff_todo(user=user, today=today)
        summary["months_to_close_grouped"] = group_months(summary["staff_todo"]["months_to_close"])
    if user.may_sign and user.cooperative_id:  # a cooperative's accountant or supervisor
        summary["accountant_todo"] = accountant_todo(user=user)
    if user.is_admin:
        summary["admin_todo"] = admin_todo(user=user, today=today)
        summary["community_stats"] = communities_visible_to(user).annotate(
            household_total=Count("households", distinct=True),
            cooperative_total=Count("households__cooperative", distinct=True),
        )
    return summary
