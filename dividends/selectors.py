"""Reads of dividend runs for the accountant pages: every query is set-based.

- `runs_for(user)`: the runs of the cooperatives the user manages.
- `reconciliation(run)`: Σ lines against the pools, as Decimal, with a ✓/✗ per check.
- `previous_approved_run(run)` / `last_year_comparison(run)`: last year's approved run of
  the same cooperative, joined to this run by household.
- `score_differences(run)`: lines whose score or veto differs from the ledger now.
- `run_lines(run, query=, sort=)`: the lines table, searched and sorted (whitelisted),
  annotated with last year's total for the same household.
- `largest_changes(run, previous)`: the households whose total changed most from last year.
- `progress_state(run)`: the status and progress the run page and the progress endpoint show.
"""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Abs, Coalesce
from django.utils.translation import gettext as _

from accounts.scope import cooperatives_signed_by
from communities import selectors as scoring
from pinghu_points.aggregates import ExactSum
from pinghu_points.formatting import money

from . import services
from .models import DividendLine, DividendRun
from .money import exact_product, exact_share, rounded, tier_ask, to_fen

ZERO = Decimal("0.00")

# ?sort= value -> the ordering it means; anything else is ignored.
LINE_SORTS = {
    "number": "household_number",
    "score": "score",
    "base": "base_amount",
    "incentive": "incentive_amount",
    "total": "total_amount",
}
DEFAULT_SORT = "number"


def runs_for(user):
    """Runs `user` may read and sign: their cooperative's (accountant, supervisor), or all
    (subdistrict admin). Creating, recomputing and exporting need `cooperatives_managed_by`
    on top (the services check it)."""
    return DividendRun.objects.filter(cooperative__in=cooperatives_signed_by(user)).select_related(
        "cooperative", "created_by", "approved_by"
    )


@dataclass(frozen=True)
class Check:
    label: str
    expected: Decimal
    actual: Decimal

    @property
    def ok(self):
        return self.expected == self.actual

    @property
    def difference(self):
        return self.actual - self.expected


@dataclass(frozen=True)
class Reconciliation:
    households: int
    base_sum: Decimal
    incentive_sum: Decimal
    total_sum: Decimal
    remainder: Decimal
    checks: tuple

    @property
    def ok(self):
        return all(check.ok for check in self.checks)


def reconciliation(run):
    """Σ lines against the run's pools, in one aggregate query; None before computing.

    Checks: Σ base = base pool; Σ incentive = incentive paid; remainder = incentive pool −
    paid; Σ totals = Σ base + Σ incentive; Σ totals + remainder = distributable total.
    """
    if run.status not in (DividendRun.Status.COMPUTED, DividendRun.Status.APPROVED):
        return None
    sums = run.lines.aggregate(
        households=Count("pk"),
        base=ExactSum("base_amount"),
        incentive=ExactSum("incentive_amount"),
        total=ExactSum("total_amount"),
    )
    # SQLite sums decimals as floats: back to exact fen via str (amounts have 2 places).
    base = _fen(sums["base"])
    incentive = _fen(sums["incentive"])
    total = _fen(sums["total"])
    paid = run.incentive_paid if run.incentive_paid is not None else ZERO
    remainder = run.remainder if run.remainder is not None else ZERO
    checks = (
        Check(_("基本股分红合计 = 基本股分红池"), run.base_pool, base),
        Check(_("积分激励合计 = 实发积分激励"), paid, incentive),
        Check(_("未分配留存 = 积分激励池 − 实发积分激励"), run.incentive_pool - paid, remainder),
        Check(_("各户合计 = 基本股分红 + 积分激励"), base + incentive, total),
        Check(_("各户合计 + 未分配留存 = 可分配总额"), run.total, total + remainder),
    )
    return Reconciliation(
        households=sums["households"],
        base_sum=base,
        incentive_sum=incentive,
        total_sum=total,
        remainder=remainder,
        checks=checks,
    )


def _fen(value):
    if value is None:
        return ZERO
    return to_fen(Decimal(str(value)))


def previous_approved_run(run):
    """The approved run of the year before, same cooperative (at most one exists)."""
    return (
        DividendRun.objects.filter(
            cooperative_id=run.cooperative_id,
            year=run.year - 1,
            status=DividendRun.Status.APPROVED,
        )
        .order_by("-version")
        .first()
    )


@dataclass(frozen=True)
class Comparison:
    previous: DividendRun
    previous_total: Decimal
    difference: Decimal
    new_households: int  # in this run, not in last year's
    gone_households: int  # in last year's run, not in this one


def last_year_comparison(run, previous=None):
    """This run against last year's approved run, per household, in two aggregate queries."""
    previous = previous or previous_approved_run(run)
    if previous is None or run.status not in (
        DividendRun.Status.COMPUTED,
        DividendRun.Status.APPROVED,
    ):
        return None
    this_year = run.lines.values("household_id")
    last_year = previous.lines.values("household_id")
    previous_sums = previous.lines.aggregate(
        total=ExactSum("total_amount"),
        gone=Count("pk", filter=~Q(household_id__in=this_year)),
    )
    current_sums = run.lines.aggregate(
        total=ExactSum("total_amount"), new=Count("pk", filter=~Q(household_id__in=last_year))
    )
    previous_total = _fen(previous_sums["total"])
    return Comparison(
        previous=previous,
        previous_total=previous_total,
        difference=_fen(current_sums["total"]) - previous_total,
        new_households=current_sums["new"],
        gone_households=previous_sums["gone"],
    )


@dataclass(frozen=True)
class ScoreDifference:
    line: DividendLine
    ledger_score: Decimal | None
    ledger_vetoed: bool

    @property
    def score_changed(self):
        return self.ledger_score != self.line.score

    @property
    def veto_changed(self):
        return self.ledger_vetoed != self.line.vetoed

    @property
    def difference(self):
        if self.ledger_score is None:
            return None
        return self.ledger_score - self.line.score


def score_differences(run):
    """Lines whose score (or veto) in the run differs from the ledger's score now.

    Events entered or reviewed after the run was computed change the ledger, not the run.
    Set-based: `cooperative_scores` (three queries) plus one query for the lines.
    """
    if run.status not in (DividendRun.Status.COMPUTED, DividendRun.Status.APPROVED):
        return []
    scores, vetoed = scoring.cooperative_scores(cooperative=run.cooperative, year=run.year)
    scores = scores or {}
    differences = []
    for line in run.lines.only(
        "pk", "run_id", "household_id", "household_number", "head_name", "score", "vetoed"
    ).order_by("household_number"):
        ledger_score = scores.get(line.household_id)
        ledger_vetoed = line.household_id in vetoed
        if ledger_score != line.score or ledger_vetoed != line.vetoed:
            differences.append(ScoreDifference(line, ledger_score, ledger_vetoed))
    return differences


def parse_sort(value):
    """('-total', 'total_amount', True) for '-total'; the default for anything unknown."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value.lstrip("-")
    if key not in LINE_SORTS:
        return DEFAULT_SORT, LINE_SORTS[DEFAULT_SORT], False
    return ("-" if descending else "") + key, LINE_SORTS[key], descending


def run_lines(run, *, query="", sort=""):
    """The run's lines searched by household number or head name (as paid), sorted by a
    whitelisted key, each with `previous_total`: last year's approved total for the same
    household (None when the household is new). One query per page whatever its size."""
    lines = run.lines.all()
    query = (query or "").strip()
    if query:
        lines = lines.filter(Q(household_number__icontains=query) | Q(head_name__icontains=query))
    previous = previous_approved_run(run)
    if previous is not None:
        lines = lines.annotate(
            previous_total=Subquery(
                DividendLine.objects.filter(
                    run_id=previous.pk, household_id=OuterRef("household_id")
                ).values("total_amount")[:1]
            )
        )
    _, field, descending = parse_sort(sort)
    ordering = [f"-{field}" if descending else field]
    if field != "household_number":
        ordering.append("household_number")
    return lines.order_by(*ordering), previous


def pools_preview(*, total, incentive_mode, incentive_value):
    """What the form shows: the pools by the service's own rule, and the 20% ceiling."""
    base, incentive = services.pools(
        total=total, incentive_mode=incentive_mode, incentive_value=incentive_value
    )
    total = to_fen(total)
    ceiling = services.incentive_ceiling(total)
    share = rounded(exact_share(incentive, 100, total), 2) if total else Decimal("0.00")
    return {
        "total": str(total),
        "base_pool": str(base),
        "incentive_pool": str(incentive),
        # As pages show amounts (the `money` filter): the form's script shows these.
        "base_pool_text": money(base),
        "incentive_pool_text": money(incentive),
        "incentive_percent": str(share),
        "ceiling": str(ceiling),
        "over_ceiling": services.exceeds_ceiling(total=total, incentive_pool=incentive),
    }


LARGEST_CHANGES = 10


@dataclass(frozen=True)
class Change:
    line: DividendLine
    previous_total: Decimal | None  # None: the household was not paid last year

    @property
    def difference(self):
        return self.line.total_amount - (self.previous_total or ZERO)


def largest_changes(run, previous, *, limit=LARGEST_CHANGES):
    """The `limit` households of `run` whose total differs most (either way) from their
    total in `previous` (last year's approved run). Only households paid in both years: a
    household new this year is listed by `new_households` instead, so that a register
    import of new households never hides the changes of existing ones. Ranked in the
    database, amounts exact: two queries whatever the run's size."""
    if previous is None or run.status not in (
        DividendRun.Status.COMPUTED,
        DividendRun.Status.APPROVED,
    ):
        return []
    last_year = DividendLine.objects.filter(
        run_id=previous.pk, household_id=OuterRef("household_id")
    )
    lines = list(
        run.lines.filter(Exists(last_year))
        .annotate(
            change=Abs(
                F("total_amount")
                - Coalesce(Subquery(last_year.values("total_amount")[:1]), Value(ZERO))
            )
        )
        .order_by("-change", "household_number")
        .only(
            "pk", "run_id", "household_id", "household_number", "head_name", "score", "total_amount"
        )[:limit]
    )
    # SQLite computes the ranking in floats; the amounts shown are read back exactly.
    previous_totals = dict(
        previous.lines.filter(household_id__in=[line.household_id for line in lines]).values_list(
            "household_id", "total_amount"
        )
    )
    changes = [Change(line, previous_totals.get(line.household_id)) for line in lines]
    changes.sort(key=lambda change: (-abs(change.difference), change.line.household_number))
    return [change for change in changes if change.difference]


def new_households(run, previous, *, limit=LARGEST_CHANGES):
    """(count, the first `limit` lines) of the households of `run` that `previous` (last
    year's approved run) did not pay: new this year, largest total first."""
    if previous is None or run.status not in (
        DividendRun.Status.COMPUTED,
        DividendRun.Status.APPROVED,
    ):
        return 0, []
    new = run.lines.exclude(
        household_id__in=DividendLine.objects.filter(run_id=previous.pk).values("household_id")
    )
    lines = list(
        new.order_by("-total_amount", "household_number").only(
            "pk", "run_id", "household_id", "household_number", "head_name", "score", "total_amount"
        )[:limit]
    )
    return new.count(), lines


@dataclass(frozen=True)
class ProgressState:
    status: str
    status_label: str
    progress: int
    done: bool
    error: str


def progress_state(run):
    """What the run page and the progress endpoint show, from one rule so the bar, the
    percentage, the status and the error never disagree (`DividendRun.progress_percent`:
    queued 0%, running 1–99%, computed and approved 100%, failed where it stopped)."""
    Status = DividendRun.Status
    return ProgressState(
        status=run.status,
        status_label=str(run.get_status_display()),
        progress=run.progress_percent,
        done=run.status in (Status.COMPUTED, Status.APPROVED, Status.FAILED),
        error=run.error if run.status == Status.FAILED else "",
    )


# ---------------------------------------------------------------------------
# The statement (分红明细单): how a line's figures were reached.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareRow:
    name: str
    quantity: Decimal
    weight: Decimal | None  # None: the class is gone or its weight changed since computing
    weighted: Decimal | None


@dataclass(frozen=True)
class RunBasis:
    """Run-wide sums a statement needs, from the run's lines (which never change)."""

    total_weighted: Decimal  # Σ weighted shares of the run
    incentive_basis: Decimal  # Σ incentive weights of the eligible lines (proportional policies)
    tiers_asked: Decimal  # Σ what the tiers asked (tiers policy)


@dataclass(frozen=True)
class StatementExplanation:
    share_rows: list
    weights_reproduce: bool  # Σ quantity × today's weight == the line's weighted shares
    basis: RunBasis
    base_exact: Fraction  # B × w ÷ W exactly, before the fen rounding
    eligible: bool
    reason: str  # "veto" | "min_score" | "no_score" | "" (why no incentive)
    weight: Decimal  # this line's incentive weight (score, score × shares, or tier share)
    tier_min_score: Decimal | None
    tier_share: Decimal | None
    incentive_exact: Fraction | None  # proportional share of the pool, exact, before rounding
    tiers_scaled: bool  # tiers asked for more than the pool: split in proportion instead


def _candidate(number, weighted_shares, score, vetoed, *, total_weighted, base_pool):
    from .policies import Candidate

    return Candidate(
        number=number,
        weighted_shares=weighted_shares,
        score=score,
        vetoed=vetoed,
        base_exact=exact_share(base_pool, weighted_shares, total_weighted),
    )


def _line_weight(candidate, run):
    """The line's incentive weight under the run's policy, by the rules in policies.py."""
    from .policies import eligible, tier_share

    if not eligible(candidate, run.parameters):
        return Decimal("0")
    if run.policy == DividendRun.Policy.SCORE:
        return candidate.score
    if run.policy == DividendRun.Policy.SCORE_SHARES:
        return exact_product(candidate.score, candidate.weighted_shares)
    return tier_share(candidate.score, run.parameters.get("tiers", []))


def run_basis(run):
    """Σ weighted shares, Σ incentive weights of eligible lines and Σ tier asks of a run.

    One pass over the run's lines (three columns). A run's lines are written once and
    never change, so the result is cached per run.
    """
    from django.core.cache import cache

    key = f"dividends:run-basis:{run.pk}:{run.computed_at and run.computed_at.timestamp()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    rows = list(
        DividendLine.objects.filter(run_id=run.pk).values_list(
            "household_number", "weighted_shares", "score", "vetoed"
        )
    )
    total_weighted = sum((row[1] for row in rows), Decimal("0"))
    basis_sum, asked = Decimal("0"), Decimal("0")
    for number, weighted, score, vetoed in rows:
        candidate = _candidate(
            number, weighted, score, vetoed, total_weighted=total_weighted, base_pool=run.base_pool
        )
        weight = _line_weight(candidate, run)
        if run.policy == DividendRun.Policy.TIERS:
            asked += tier_ask(candidate.base_exact, weight)
        else:
            basis_sum += weight
    basis = RunBasis(total_weighted=total_weighted, incentive_basis=basis_sum, tiers_asked=asked)
    cache.set(key, basis, 3600)
    return basis


def statement_explanation(line, run):
    """How the line's weighted shares, base and incentive were reached, for the statement.

    Shares × class weight per class use the cooperative's weights now; when they no
    longer give the line's weighted shares (a weight was changed after computing), the
    quantities are shown without weights (`weights_reproduce` False).
    """
    from .exports import SHARE_CLASS_ORDER, in_class_order
    from .policies import _parsed_tiers

    classes = list(
        run.cooperative.share_classes.order_by(*SHARE_CLASS_ORDER).values_list("name", "weight")
    )
    weights = dict(classes)
    share_rows = []
    for name, quantity in in_class_order(line.shares, [name for name, _weight in classes]):
        quantity = Decimal(str(quantity))
        weight = weights.get(name)
        share_rows.append(
            ShareRow(name, quantity, weight, None if weight is None else quantity * weight)
        )
    reproduce = all(row.weight is not None for row in share_rows) and sum(
        (row.weighted for row in share_rows), Decimal("0")
    ) == Decimal(line.weighted_shares)
    if not reproduce:
        share_rows = [ShareRow(row.name, row.quantity, None, None) for row in share_rows]

    basis = run_basis(run)
    candidate = _candidate(
        line.household_number,
        line.weighted_shares,
        line.score,
        line.vetoed,
        total_weighted=basis.total_weighted,
        base_pool=run.base_pool,
    )
    weight = _line_weight(candidate, run)
    is_eligible = _is_eligible(candidate, run)
    reason = "" if is_eligible else _ineligible_reason(candidate, run)
    tier_min = tier_share = None
    incentive_exact = None
    scaled = False
    if run.policy == DividendRun.Policy.TIERS:
        for min_score, share in _parsed_tiers(run.parameters.get("tiers", [])):
            if candidate.score >= min_score:
                tier_min, tier_share = min_score, share
                break
        scaled = basis.tiers_asked > run.incentive_pool
        if scaled and basis.tiers_asked:
            incentive_exact = exact_share(
                run.incentive_pool, tier_ask(candidate.base_exact, weight), basis.tiers_asked
            )
    elif basis.incentive_basis:
        incentive_exact = exact_share(run.incentive_pool, weight, basis.incentive_basis)
    return StatementExplanation(
        share_rows=share_rows,
        weights_reproduce=reproduce,
        basis=basis,
        base_exact=candidate.base_exact,
        eligible=is_eligible,
        reason=reason,
        weight=weight,
        tier_min_score=tier_min,
        tier_share=tier_share,
        incentive_exact=incentive_exact,
        tiers_scaled=scaled,
    )


def _is_eligible(candidate, run):
    from .policies import eligible

    return eligible(candidate, run.parameters)


def _ineligible_reason(candidate, run):
    """Which rule of `policies.eligible` kept the incentive back (checked in its order)."""
    from .policies import Candidate, eligible

    if run.veto_applies and candidate.vetoed:
        return "veto"
    cleared = Candidate(
        number=candidate.number,
        weighted_shares=candidate.weighted_shares,
        score=candidate.score,
        vetoed=False,
    )
    if not eligible(cleared, {**run.parameters, "min_score": None}):
        return "no_score"
    return "min_score"
