"""Reads of award runs: the pages, the card and the overview use these (docs/awards.md)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Subquery, Value
from django.db.models.functions import Abs, Coalesce
from django.utils.translation import gettext as _

from accounts.scope import cooperatives_signed_by
from communities.models import ScoringItem
from dividends.money import exact_share
from dividends.policies import tier_share
from dividends.selectors import Check, progress_state  # noqa: F401  (one progress rule)
from pinghu_points.aggregates import ExactSum
from pinghu_points.formatting import money
from pinghu_points.money import floor_fen, rounded, to_fen

from .models import AwardLine, AwardRun, previous_period

ZERO = Decimal("0.00")
HAS_LINES = (AwardRun.Status.COMPUTED, AwardRun.Status.APPROVED)
LARGEST_CHANGES = 10


def _fen(value):
    return ZERO if value is None else to_fen(Decimal(str(value)))


def runs_for(user):
    """Award runs `user` may read and sign: those of `cooperatives_signed_by` (accountants,
    the supervisor, admins). Creating, recomputing and exporting need
    `cooperatives_managed_by` on top (the services and views check it)."""
    return AwardRun.objects.filter(cooperative__in=cooperatives_signed_by(user)).select_related(
        "cooperative", "cooperative__village", "created_by", "approved_by"
    )


def counted_text(run):
    """What counts, in words: 环境整治 / HJ01 庭院整洁 …"""
    labels = dict(ScoringItem.Category.choices)
    parts = [str(labels.get(code, code)) for code in run.categories]
    if run.item_codes:
        names = dict(
            ScoringItem.objects.filter(
                standard__adoptions__cooperative_id=run.cooperative_id,
                standard__year=run.year,
                code__in=run.item_codes,
            ).values_list("code", "name")
        )
        parts += [f"{code} {names.get(code, '')}".strip() for code in run.item_codes]
    return "、".join(parts)


@dataclass(frozen=True)
class Reconciliation:
    households: int
    paid_sum: Decimal
    checks: tuple

    @property
    def ok(self):
        return all(check.ok for check in self.checks)


def reconciliation(run):
    """Σ lines against the pool, one aggregate query; None before computing."""
    if run.status not in HAS_LINES:
        return None
    sums = run.lines.aggregate(households=Count("pk"), paid=ExactSum("amount"))
    paid_sum = _fen(sums["paid"])
    paid = run.paid if run.paid is not None else ZERO
    remainder = run.remainder if run.remainder is not None else ZERO
    return Reconciliation(
        households=sums["households"],
        paid_sum=paid_sum,
        checks=(
            Check(_("各户奖励合计 = 实发奖励"), paid, paid_sum),
            Check(_("实发奖励 + 未分配留存 = 奖励金总额"), run.pool, paid_sum + remainder),
            Check(
                _("明细户数 = 方案户数"),
                Decimal(run.household_count or 0),
                Decimal(sums["households"]),
            ),
        ),
    )


def previous_approved_run(run):
    """The approved run of the period before (last month, quarter or year), same village."""
    year, number = previous_period(run.period_kind, run.year, run.period_number)
    return AwardRun.objects.filter(
        cooperative_id=run.cooperative_id,
        period_kind=run.period_kind,
        year=year,
        period_number=number,
        status=AwardRun.Status.APPROVED,
    ).first()


@dataclass(frozen=True)
class Comparison:
    previous_paid: Decimal
    difference: Decimal
    new_households: int
    gone_households: int


def comparison(run, previous):
    if previous is None or run.status not in HAS_LINES:
        return None
    now = set(run.lines.values_list("household_id", flat=True))
    before = set(previous.lines.values_list("household_id", flat=True))
    return Comparison(
        previous_paid=previous.paid or ZERO,
        difference=(run.paid or ZERO) - (previous.paid or ZERO),
        new_households=len(now - before),
        gone_households=len(before - now),
    )


@dataclass(frozen=True)
class Change:
    line: AwardLine
    previous_amount: Decimal | None  # None: not paid in the previous period

    @property
    def difference(self):
        return self.line.amount - (self.previous_amount or ZERO)


def largest_changes(run, previous, *, limit=LARGEST_CHANGES):
    """The `limit` households whose award differs most (either way) from the previous
    period's approved run; a household new this period counts from zero. Two queries."""
    if previous is None or run.status not in HAS_LINES:
        return []
    before = AwardLine.objects.filter(run_id=previous.pk, household_id=OuterRef("household_id"))
    lines = list(
        run.lines.annotate(
            change=Abs(F("amount") - Coalesce(Subquery(before.values("amount")[:1]), Value(ZERO)))
        )
        .order_by("-change", "household_number")
        .only("pk", "run_id", "household_id", "household_number", "head_name", "score", "amount")[
            :limit
        ]
    )
    # SQLite ranks in floats; the amounts shown are read back exactly.
    amounts = dict(
        previous.lines.filter(household_id__in=[line.household_id for line in lines]).values_list(
            "household_id", "amount"
        )
    )
    changes = [Change(line, amounts.get(line.household_id)) for line in lines]
    changes.sort(key=lambda change: (-abs(change.difference), change.line.household_number))
    return [change for change in changes if change.difference]


# ---------------------------------------------------------------------------
# Why a line got what it got (the card, the run's lines).
# ---------------------------------------------------------------------------


def _eligible_lines(run):
    lines = run.lines.all()
    parameters = run.parameters or {}
    if parameters.get("veto", True):
        lines = lines.filter(vetoed=False)
    min_score = parameters.get("min_score")
    if min_score not in (None, ""):
        lines = lines.filter(score__gte=Decimal(str(min_score)))
    return lines


def run_basis(run):
    """(Σ positive scores of the eligible lines, number of lines): what a line's share is
    reckoned from. One query; a run's lines never change once computed."""
    cache = getattr(run, "_award_basis", None)
    if cache is None:
        weights = _eligible_lines(run).filter(score__gt=0).aggregate(total=ExactSum("score"))
        cache = run._award_basis = (
            Decimal(str(weights["total"] or 0)),
            run.household_count or run.lines.count(),
        )
    return cache


def explanation(line, run):
    """One sentence on how the line's amount was reached, from the run's rule."""
    parameters = run.parameters or {}
    if line.vetoed and run.veto_applies:
        return _("本期有一票否决项，不发奖励。")
    min_score = parameters.get("min_score")
    if min_score not in (None, "") and line.score < Decimal(str(min_score)):
        return _("本期计分 %(score)s 分，低于最低分 %(min)s 分，不发奖励。") % {
            "score": _points(line.score),
            "min": min_score,
        }
    total, households = run_basis(run)
    if run.policy == AwardRun.Policy.TIERS:
        share = tier_share(line.score, parameters.get("tiers") or [])
        if not share:
            return _("本期计分 %(score)s 分，未达到最低档次，不发奖励。") % {
                "score": _points(line.score)
            }
        equal = exact_share(run.pool, 1, households) if households else ZERO
        return _(
            "本期计分 %(score)s 分，达到 %(share)s 档：平均每户 %(equal)s 元 × %(share)s，"
            "按分向下取整（档次所需超过奖励金时按所需比例分配）。"
        ) % {
            "score": _points(line.score),
            "share": _plain(share),
            "equal": money(floor_fen(equal)),
        }
    if line.score <= 0 or not total:
        return _("本期计分 %(score)s 分，按积分比例分配时不得奖励。") % {
            "score": _points(line.score)
        }
    return _(
        "奖励金 %(pool)s 元 × 本户 %(score)s 分 ÷ 全部符合条件户合计 %(total)s 分"
        " ≈ %(exact)s 元，按分取整（余下的分按尾数大小补给各户）。"
    ) % {
        "pool": money(run.pool),
        "score": _points(line.score),
        "total": _points(total),
        "exact": f"{rounded(exact_share(run.pool, line.score, total), 4):,}",
    }


def _points(value):
    return f"{Decimal(value).normalize():f}"


def _plain(value):
    return f"{Decimal(value).normalize():f}"


@dataclass(frozen=True)
class CardAward:
    line: AwardLine
    run: AwardRun
    counted: str
    why: str


def card_awards(*, household):
    """The household's lines of approved award runs, newest period first, each explained."""
    lines = list(
        AwardLine.objects.filter(household=household, run__status=AwardRun.Status.APPROVED)
        .select_related("run", "run__cooperative")
        .order_by("-run__year", "-run__period_number", "-run__pk")
    )
    return [
        CardAward(
            line=line, run=line.run, counted=counted_text(line.run), why=explanation(line, line.run)
        )
        for line in lines
    ]


@dataclass(frozen=True)
class AwardFigure:
    village: str
    cooperative_id: int
    run_id: int
    name: str
    period: str
    pool: Decimal
    paid: Decimal
    remainder: Decimal
    households: int


def approved_awards(*, cooperatives, year=None):
    """Awards paid per village and period (approved runs) of `cooperatives`, newest first,
    and the fund's totals: {"rows": [AwardFigure], "pool", "paid", "remainder"}."""
    runs = AwardRun.objects.filter(
        cooperative__in=cooperatives, status=AwardRun.Status.APPROVED
    ).select_related("cooperative__village")
    if year is not None:
        runs = runs.filter(year=year)
    rows = [
        AwardFigure(
            village=run.cooperative.village.name,
            cooperative_id=run.cooperative_id,
            run_id=run.pk,
            name=run.name,
            period=str(run.period_label),
            pool=run.pool,
            paid=run.paid or ZERO,
            remainder=run.remainder or ZERO,
            households=run.household_count or 0,
        )
        for run in runs.order_by("cooperative__code", "-year", "-period_number")
    ]
    return {
        "rows": rows,
        "pool": sum((row.pool for row in rows), ZERO),
        "paid": sum((row.paid for row in rows), ZERO),
        "remainder": sum((row.remainder for row in rows), ZERO),
    }
