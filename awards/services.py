"""Award runs (奖励发放): create, compute (as a Celery job), approve, recompute, retry.

A village's fixed fund for a period is split by the period's scores in the counted
categories or items, with the dividend's incentive policies and their exact fen split
and tie rule (`dividends.policies.allocate_incentive`, called here, not copied), and the
one job mechanism (`pinghu_points.jobs`, `AWARD_JOBS`). docs/awards.md.
"""

import logging
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import cooperatives_managed_by, cooperatives_signed_by
from accounts.services import audit_record
from communities import selectors as scoring
from communities.models import ScoringItem
from dividends.money import exact_share, to_fen
from dividends.policies import Candidate, allocate_incentive, validate_parameters
from pinghu_points import jobs
from pinghu_points.aggregates import ExactSum
from villages import selectors as register
from villages.models import Cooperative, mask_id_number

from .models import AwardLine, AwardRun

logger = logging.getLogger(__name__)

ZERO = Decimal("0")
ONE = Decimal("1")
PERIOD_NUMBERS = {
    AwardRun.PeriodKind.MONTH: range(1, 13),
    AwardRun.PeriodKind.QUARTER: range(1, 5),
    AwardRun.PeriodKind.YEAR: range(1, 2),
}
POOL_LIMIT = Decimal(10) ** 12  # the column's 14 digits with 2 decimals


def _require_manager(actor, cooperative):
    if not cooperatives_managed_by(actor).filter(pk=cooperative.pk).exists():
        raise PermissionDenied(_("您不能为该村发放奖励"))


def validate_pool(pool):
    """The pool is yuan to the fen, not negative: refused, never rounded."""
    try:
        value = Decimal(str(pool))
    except (InvalidOperation, TypeError, ValueError):
        value = None
    if (
        value is None
        or not value.is_finite()
        or value < 0
        or value != to_fen(value)
        or value >= POOL_LIMIT
    ):
        raise ValidationError(
            {
                "pool": _("奖励金总额“%(value)s”无效：须为不小于0的金额，精确到分（最多两位小数）")
                % {"value": pool}
            }
        )
    return value


def counted_items_filter(*, categories, item_codes, standard):
    """The score events that count for an award: their item is in one of `categories` or
    is one of `item_codes` of the year's standard."""
    condition = Q(pk__in=[])
    if categories:
        condition |= Q(item__category__in=categories)
    if item_codes:
        condition |= Q(item__code__in=item_codes, item__standard=standard)
    return condition


def _validate_counted(*, categories, item_codes, standard):
    unknown = [code for code in categories if code not in ScoringItem.Category.values]
    if unknown:
        raise ValidationError(_("未知的积分类别：%(codes)s") % {"codes": "、".join(unknown)})
    known = set(standard.items.filter(code__in=item_codes).values_list("code", flat=True))
    missing = [code for code in item_codes if code not in known]
    if missing:
        raise ValidationError(
            _("%(year)s 年积分标准中没有这些积分项：%(codes)s")
            % {"year": standard.year, "codes": "、".join(missing)}
        )
    if not categories and not item_codes:
        raise ValidationError(_("请至少选择一个计分类别或积分项"))


@transaction.atomic
def award_run_create(
    *,
    actor,
    cooperative,
    name,
    period_kind,
    year,
    period_number,
    pool,
    categories=(),
    item_codes=(),
    recipients=AwardRun.Recipients.HOUSEHOLDS,
    policy=AwardRun.Policy.SCORE,
    parameters=None,
):
    """A new award run version in status `queued`; call `award_run_enqueue` to compute it."""
    _require_manager(actor, cooperative)
    if period_kind not in PERIOD_NUMBERS or period_number not in PERIOD_NUMBERS[period_kind]:
        raise ValidationError(_("奖励周期不正确"))
    if recipients not in AwardRun.Recipients.values:
        raise ValidationError(_("未知的发放对象"))
    if policy not in AwardRun.Policy.values:
        raise ValidationError(_("未知的分配办法"))
    parameters = dict(parameters or {})
    parameters.setdefault("veto", True)
    if validate_parameters(policy, parameters):
        raise ValidationError(_("分配参数不正确：档次须按分数从低到高、比例不减且不为负"))
    pool = validate_pool(pool)
    categories, item_codes = sorted(set(categories)), sorted(set(item_codes))
    standard = scoring.standard_for(cooperative=cooperative, year=year)
    if standard is None:
        raise ValidationError(
            _("%(cooperative)s 在 %(year)s 年没有已发布的积分标准，无法按积分发放奖励")
            % {"cooperative": cooperative.name, "year": year}
        )
    _validate_counted(categories=categories, item_codes=item_codes, standard=standard)
    # The cooperative row, as for dividends: versions are numbered and a period's
    # approval checked under the same lock.
    Cooperative.objects.select_for_update().filter(pk=cooperative.pk).first()
    period = {"period_kind": period_kind, "year": year, "period_number": period_number}
    approved = approved_run_of_period(cooperative=cooperative, **period)
    if approved is not None:
        raise ValidationError(_period_approved_message(approved))
    latest = AwardRun.objects.filter(cooperative=cooperative, **period).order_by("-version").first()
    run = AwardRun.objects.create(
        cooperative=cooperative,
        name=name or _("积分奖励"),
        version=(latest.version + 1) if latest else 1,
        pool=to_fen(pool),
        categories=categories,
        item_codes=item_codes,
        recipients=recipients,
        policy=policy,
        parameters=parameters,
        status=AwardRun.Status.QUEUED,
        created_by=actor,
        **period,
    )
    audit_record(
        actor=actor,
        action="award.create",
        target=run,
        details={
            "period": str(run.period_label),
            "pool": str(run.pool),
            "categories": categories,
            "item_codes": item_codes,
            "recipients": recipients,
            "policy": policy,
            "parameters": parameters,
        },
    )
    return run


def approved_run_of_period(*, cooperative, period_kind, year, period_number):
    return AwardRun.objects.filter(
        cooperative=cooperative,
        period_kind=period_kind,
        year=year,
        period_number=period_number,
        status=AwardRun.Status.APPROVED,
    ).first()


def _period_approved_message(approved):
    return _("%(period)s的奖励方案已审批（第 %(version)s 版），已冻结，不能再创建新版本") % {
        "period": approved.period_label,
        "version": approved.version,
    }


def recompute_refusal(*, actor, run):
    """Why `run` may not be recomputed as a new version by `actor`, or None: only a
    computed run, by its village's accountant or an admin, while its period is not
    approved (a failed or stalled run is sent again as the same version, `award_run_retry`)."""
    if not may_manage_run(actor, run):
        return _("您不能为该村发放奖励")
    approved = approved_run_of_period(
        cooperative=run.cooperative,
        period_kind=run.period_kind,
        year=run.year,
        period_number=run.period_number,
    )
    if approved is not None:
        return _period_approved_message(approved)
    if run.status != AwardRun.Status.COMPUTED:
        return _("当前状态（%(status)s）的方案不能重新计算") % {"status": run.get_status_display()}
    return None


def award_run_recompute(*, actor, run):
    """Recompute a computed run as a new version with the same inputs (e.g. after late
    score events). The service checks it may (`recompute_refusal`), whoever calls it."""
    run = AwardRun.objects.select_related("cooperative").get(pk=run.pk)
    refusal = recompute_refusal(actor=actor, run=run)
    if refusal is not None:
        if not may_manage_run(actor, run):
            raise PermissionDenied(refusal)
        raise ValidationError(refusal)
    return award_run_create(
        actor=actor,
        cooperative=run.cooperative,
        name=run.name,
        period_kind=run.period_kind,
        year=run.year,
        period_number=run.period_number,
        pool=run.pool,
        categories=run.categories,
        item_codes=run.item_codes,
        recipients=run.recipients,
        policy=run.policy,
        parameters=run.parameters,
    )


# The job: the one job mechanism of pinghu_points/jobs.py (claim, heartbeat, sweep,
# attempts, retry); AWARD_JOBS tells it what an award run is.
def interrupted_message():
    return _(
        "计算多次中断（后台计算程序被重启或数据库连接中断），没有写入任何奖励明细。"
        "请点“重新计算”再试；如仍不成功，请联系系统管理员。"
    )


def database_lost_message():
    return _(
        "计算时数据库连接中断，没有写入任何奖励明细。请点“重新计算”再试；"
        "如仍不成功，请联系系统管理员。"
    )


def _compute_task():
    from .tasks import compute_award_run

    return compute_award_run


def _failed_fields(message):
    return {"status": AwardRun.Status.FAILED, "error": message[:2000]}


AWARD_JOBS = jobs.JobKind(
    label="award run",
    model=AwardRun,
    task=_compute_task,
    failed_fields=_failed_fields,
    interrupted_message=interrupted_message,
    claimed_fields={"progress": 5, "error": ""},
    retried_fields={"progress": 0, "error": ""},
)


def award_run_enqueue(*, run):
    """Send the computation once the run is committed (`jobs.enqueue`): True when the
    queue took it (eager mode: computed here), False when the broker could not be reached
    (the sweep sends it later), None inside a transaction (sent at commit)."""
    return jobs.enqueue(AWARD_JOBS, run.pk)


def run_can_retry(run, *, now=None):
    """Whether "重新计算" (the same version, again) is offered (`jobs.can_retry`)."""
    return jobs.can_retry(run, AWARD_JOBS, now=now)


def run_stall(run, *, now=None):
    """What the run page says about a run that may have stalled (`jobs.Stall`), or None."""
    return jobs.stall(run, AWARD_JOBS, now=now)


def award_runs_sweep(*, now=None):
    return jobs.sweep(AWARD_JOBS, now=now)


def award_run_interrupted(*, run_id):
    return jobs.fail(AWARD_JOBS, run_id, database_lost_message())


@transaction.atomic
def award_run_retry(*, actor, run):
    """Put a failed, unsent or stalled run back in the queue (same version, same inputs);
    call `award_run_enqueue` afterwards to send it."""
    _require_manager(actor, run.cooperative)
    error = AwardRun.objects.values_list("error", flat=True).get(pk=run.pk)
    try:
        run, previous = jobs.retry(AWARD_JOBS, run.pk)
    except ValidationError:
        locked = AwardRun.objects.get(pk=run.pk)
        raise ValidationError(
            _("当前状态（%(status)s）的方案不能重新计算") % {"status": locked.get_status_display()}
        ) from None
    previous["error"] = error
    audit_record(actor=actor, action="award.retry", target=run, details=previous)
    return run


def period_scores(*, cooperative, run):
    """({household_id: Σ counting points in the period's counted categories/items},
    {household ids with a counting veto item in the period, any category}): two
    aggregate queries over the cooperative's households, whichever community scored."""
    first, last = run.period
    standard = scoring.standard_for(cooperative=cooperative, year=run.year)
    if standard is None:
        raise ValidationError(
            _("%(cooperative)s 在 %(year)s 年没有已发布的积分标准")
            % {"cooperative": cooperative.name, "year": run.year}
        )
    events = scoring.counting_events().filter(
        household__cooperative=cooperative, occurred_on__gte=first, occurred_on__lte=last
    )
    totals = dict(
        events.filter(
            counted_items_filter(
                categories=run.categories, item_codes=run.item_codes, standard=standard
            )
        )
        .values("household_id")
        .annotate(total=ExactSum("points"))
        .order_by()
        .values_list("household_id", "total")
    )
    veto_rows = (
        events.filter(item__is_veto=True)
        .values("household_id", "item_id")
        .annotate(total=ExactSum("points"))
        .order_by()
    )
    return totals, {row["household_id"] for row in veto_rows if row["total"]}


def paid_households(*, cooperative, run):
    """The households an award pays (docs/awards.md, "Who is paid"): every household on the
    village's register, or, when the village pays shareholders only, those holding weighted
    shares on the period's last day. In household-number order."""
    households = list(
        cooperative.households.order_by("number").values_list(
            "pk",
            "number",
            "head_name",
            "head_id_number",
            "bank_name",
            "bank_account",
            "community__name",
            named=True,
        )
    )
    if run.recipients != AwardRun.Recipients.SHAREHOLDERS:
        return households
    weights = dict(cooperative.share_classes.values_list("pk", "weight"))
    holdings = register.cooperative_holdings(cooperative=cooperative, on=run.period[1])
    return [
        household
        for household in households
        if sum(
            (
                quantity * weights[class_id]
                for class_id, quantity in holdings.get(household.pk, {}).items()
            ),
            ZERO,
        )
        > 0
    ]


def candidates_for(*, pool, households, scores, vetoed):
    """The policy's candidates: every paid household weighs one share, so the tiers ask
    their share of an equal part of the pool (pool ÷ households, an exact Fraction as
    the dividend's `base_exact`: never a rounded quotient)."""
    equal_part = exact_share(pool, ONE, len(households))
    return [
        Candidate(
            number=household.number,
            weighted_shares=ONE,
            score=scores.get(household.pk) or ZERO,
            vetoed=household.pk in vetoed,
            base_exact=equal_part,
        )
        for household in households
    ]


def compute_lines(*, run, progress=lambda percent: None):
    """The run's lines as unsaved AwardLine objects, in household-number order."""
    cooperative = run.cooperative
    households = paid_households(cooperative=cooperative, run=run)
    progress(30)
    scores, vetoed = period_scores(cooperative=cooperative, run=run)
    progress(60)
    candidates = candidates_for(pool=run.pool, households=households, scores=scores, vetoed=vetoed)
    amounts = allocate_incentive(
        policy=run.policy, parameters=run.parameters, pool=run.pool, candidates=candidates
    )
    progress(80)
    return [
        AwardLine(
            run=run,
            household_id=household.pk,
            household_number=household.number,
            head_name=household.head_name,
            head_id_number_masked=mask_id_number(household.head_id_number),
            community_name=household.community__name or "",
            bank_name=household.bank_name,
            bank_account=household.bank_account,
            score=candidate.score,
            vetoed=candidate.vetoed,
            amount=amounts[household.number],
        )
        for household, candidate in zip(households, candidates, strict=True)
    ]


def award_run_compute(*, run_id, progress=None):
    """Compute a queued run and write its lines, all in one transaction; safe to run twice
    (the same rules as `dividends.run_jobs.dividend_run_compute`)."""
    if not jobs.claim(AWARD_JOBS, run_id):
        return AwardRun.objects.get(pk=run_id)
    run = AwardRun.objects.select_related("cooperative", "created_by").get(pk=run_id)

    def report(percent):
        jobs.beat(AWARD_JOBS, run.pk, progress=percent)
        if progress:
            progress(percent)

    try:
        lines = compute_lines(run=run, progress=report)
        with transaction.atomic():
            if jobs.lock_running(AWARD_JOBS, run.pk) is None:
                return AwardRun.objects.get(pk=run.pk)  # a duplicate task finished first
            AwardLine.objects.bulk_create(lines, batch_size=5000)
            paid = sum((line.amount for line in lines), ZERO)
            AwardRun.objects.filter(pk=run.pk).update(
                status=AwardRun.Status.COMPUTED,
                progress=100,
                paid=paid,
                remainder=run.pool - paid,
                household_count=len(lines),
                computed_at=timezone.now(),
                heartbeat_at=timezone.now(),
            )
            audit_record(
                actor=run.created_by,
                action="award.compute",
                target=run,
                details={
                    "households": len(lines),
                    "paid": str(paid),
                    "remainder": str(run.pool - paid),
                },
            )
    except jobs.TRANSIENT_DATABASE_ERRORS:
        raise
    except Exception as error:
        jobs.fail_for(
            AWARD_JOBS,
            run.pk,
            error,
            database_message=_(
                "计算时数据库报错，没有写入任何奖励明细（详细错误已记入系统日志）。"
                "请点“重新计算”再试；如仍不成功，请联系系统管理员。"
            ),
        )
        raise
    run.refresh_from_db()
    return run


def approval_refusal(*, actor, run):
    """Why `actor` may not approve `run` now, or None: the dividend's rule (the
    cooperative's accountants, supervisor and admins sign; only a computed run while no
    other version of its period is approved), except that the creator never approves an
    award, whatever the cooperative's four-eyes setting (issue 26: a fixed fund paid every
    month is signed by a second person every month; docs/awards.md)."""
    if (
        not actor.may_sign
        or not cooperatives_signed_by(actor).filter(pk=run.cooperative_id).exists()
    ):
        return _("您不能审批该村的奖励方案")
    if run.created_by_id == actor.pk:
        return _("奖励方案实行双人审核：方案由您创建，须由本村另一名会计或理事长/监事长审批")
    if run.status == AwardRun.Status.APPROVED:
        return _("本方案已审批")
    approved = approved_run_of_period(
        cooperative=run.cooperative,
        period_kind=run.period_kind,
        year=run.year,
        period_number=run.period_number,
    )
    if approved is not None and approved.pk != run.pk:
        return _("%(period)s已有审批通过的奖励方案（第 %(version)s 版）") % {
            "period": approved.period_label,
            "version": approved.version,
        }
    if run.status != AwardRun.Status.COMPUTED:
        return _("只有已计算的方案才能审批（当前状态：%(status)s）") % {
            "status": run.get_status_display()
        }
    return None


@transaction.atomic
def award_run_approve(*, actor, run):
    """Approve a computed run: it is frozen from now on; its 公示 starts today."""
    Cooperative.objects.select_for_update().filter(pk=run.cooperative_id).first()
    run = AwardRun.objects.select_for_update().select_related("cooperative").get(pk=run.pk)
    refusal = approval_refusal(actor=actor, run=run)
    if refusal is not None:
        if (
            not actor.may_sign
            or not cooperatives_signed_by(actor).filter(pk=run.cooperative_id).exists()
        ):
            raise PermissionDenied(refusal)
        raise ValidationError(refusal)
    try:
        with transaction.atomic():
            AwardRun.objects.filter(pk=run.pk).update(
                status=AwardRun.Status.APPROVED, approved_by=actor, approved_at=timezone.now()
            )
    except IntegrityError as error:
        raise ValidationError(
            _("%(period)s已有审批通过的奖励方案") % {"period": run.period_label}
        ) from error
    audit_record(
        actor=actor,
        action="award.approve",
        target=run,
        details={
            "period": str(run.period_label),
            "pool": str(run.pool),
            "paid": str(run.paid),
            "remainder": str(run.remainder),
            "households": run.household_count,
            "created_by": run.created_by.get_username(),
            "approved_by": actor.get_username(),
        },
    )
    run.refresh_from_db()
    return run


def award_run_exported(*, actor, run, kind, file_format):
    audit_record(
        actor=actor,
        action="award.export",
        target=run,
        details={"kind": kind, "format": file_format},
    )


def may_manage_run(actor, run):
    return cooperatives_managed_by(actor).filter(pk=run.cooperative_id).exists()
