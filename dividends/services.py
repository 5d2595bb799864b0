"""The annual dividend's rules: create a run, its lines (`compute_lines`), approve it,
record its payment. Sending and running the computation as a job, and writing the lines,
is `run_jobs.py`.

Rules (DESIGN.md section 4): base pool B and incentive pool I = T − B; base by
weighted shares as of the record date; incentive by the run's policy; every
pool split to the fen with the largest remainder; an approved run is frozen.
"""

import logging
from collections import namedtuple
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import (
    IntegrityError,
    transaction,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import cooperatives_managed_by, cooperatives_signed_by
from accounts.services import audit_record
from communities import selectors as scoring
from pinghu_points import jobs
from villages import selectors as register
from villages.models import Cooperative, Household, mask_id_number

from .models import DividendRun
from .money import exact, exact_share, floor_fen, higher_score_first, split_by_weights, to_fen
from .policies import Candidate, allocate_incentive, validate_parameters

logger = logging.getLogger(__name__)

ZERO = Decimal("0")
# The published ceiling: the points pool is "not more than 20% of the year's dividend".
INCENTIVE_CEILING = Decimal("0.20")


TOO_LARGE = "too_large"


def _column_limit(field):
    """The smallest value `field`'s column cannot store (10^12 yuan for the total)."""
    column = DividendRun._meta.get_field(field)
    return Decimal(10) ** (column.max_digits - column.decimal_places)


def _input_problem(value, *, places, field):
    """Why `field`'s column cannot store `value` exactly as given: None when it can;
    "invalid" for what is not a number ≥ 0 with at most `places` decimals; TOO_LARGE for
    a number that is fine but does not fit the column (a size, not a decimals, problem)."""
    try:
        value = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return "invalid"
    if not value.is_finite() or value < 0:
        return "invalid"
    if value >= _column_limit(field):
        return TOO_LARGE
    if value != value.quantize(Decimal(1).scaleb(-places)):
        return "invalid"
    return None


def money_input_pattern(*, places, field):
    """The numbers `_input_problem` accepts for `field`, as a regular expression: the API
    schema says it (dividends.api.MoneyInputField), so a request the schema allows is one
    this check accepts. Written plainly (digits, at most `places` decimals, below the
    column's limit); the check itself also takes what Decimal reads, like "1.500"."""
    column = DividendRun._meta.get_field(field)
    whole = column.max_digits - column.decimal_places
    return rf"^\d{{1,{whole}}}(?:\.\d{{1,{places}}})?$"


def _too_large_message(label, value, field):
    largest = _column_limit(field) - Decimal(1).scaleb(
        -DividendRun._meta.get_field(field).decimal_places
    )
    return _("%(label)s“%(value)s”过大：最多 %(largest)s") % {
        "label": label,
        "value": value,
        "largest": f"{largest:,}",
    }


def validate_money_inputs(*, total, incentive_mode, incentive_value):
    """The one check of a run's money inputs: the page form, the API and `run_dividend`
    all reach it (through `pools`), so they refuse the same values with the same message.

    The total and a fixed incentive pool are yuan to the fen (at most 2 decimals), a ratio
    or share at most 4 decimals (what the run stores); nothing is rounded silently, so
    what the run stores is exactly what it computed with. A value too large for its
    column is refused with a message about its size (`--total 1000000000000`), not about
    decimals. Raises a ValidationError keyed by `total` / `incentive_value` (the form's
    field names).
    """
    errors = {}
    problem = _input_problem(total, places=2, field="total")
    if problem == TOO_LARGE:
        errors["total"] = _too_large_message(_("可分配总额"), total, "total")
    elif problem:
        errors["total"] = _(
            "可分配总额“%(value)s”无效：须为不小于0的金额，精确到分（最多两位小数）"
        ) % {"value": total}
    fixed = incentive_mode == DividendRun.IncentiveMode.FIXED
    problem = _input_problem(incentive_value, places=2 if fixed else 4, field="incentive_value")
    if problem == TOO_LARGE:
        label = _("积分激励池金额") if fixed else _("激励比例")
        errors["incentive_value"] = _too_large_message(label, incentive_value, "incentive_value")
    elif problem and fixed:
        errors["incentive_value"] = _(
            "积分激励池金额“%(value)s”无效：须为不小于0的金额，精确到分（最多两位小数）"
        ) % {"value": incentive_value}
    elif problem:
        errors["incentive_value"] = _(
            "激励比例“%(value)s”无效：须为不小于0的小数，最多四位小数"
        ) % {"value": incentive_value}
    if errors:
        raise ValidationError(errors)


def pools(*, total, incentive_mode, incentive_value):
    """(base pool, incentive pool) for a distributable total; they add up to it exactly.

    ratio_of_base: I = r × B and B + I = T, so B = T ÷ (1 + r) (Tongjie: 20%).
    The inputs are checked first (`validate_money_inputs`): nothing is rounded here.
    """
    validate_money_inputs(
        total=total, incentive_mode=incentive_mode, incentive_value=incentive_value
    )
    total = Decimal(total)
    value = Decimal(incentive_value)
    if incentive_mode == DividendRun.IncentiveMode.RATIO_OF_BASE:
        # The exact quotient (a Fraction), rounded once, half up, to the fen.
        base = to_fen(exact(total) / (1 + exact(value)))
    elif incentive_mode == DividendRun.IncentiveMode.SHARE_OF_TOTAL:
        if value > 1:
            raise ValidationError(_("激励池占总额的比例不能超过1"))
        base = total - to_fen(exact(total) * exact(value))
    elif incentive_mode == DividendRun.IncentiveMode.FIXED:
        if value > total:
            raise ValidationError(_("积分激励池不能超过可分配总额"))
        base = total - value
    else:
        raise ValidationError(_("未知的激励池设定方式"))
    return to_fen(base), to_fen(total - base)


def incentive_ceiling(total):
    """The largest incentive pool in fen allowed without an explicit confirmation:
    20% of the total, rounded down (a pool of one fen more is above 20%)."""
    return floor_fen(exact(total) * exact(INCENTIVE_CEILING))


def exceeds_ceiling(*, total, incentive_pool):
    """Whether the pool is above 20% of the total, compared exactly (not with a rounded
    20%: T = 0.03 and a pool of 0.01 is 33%)."""
    return exact(incentive_pool) > exact(total) * exact(INCENTIVE_CEILING)


def _require_manager(actor, cooperative):
    if not cooperatives_managed_by(actor).filter(pk=cooperative.pk).exists():
        raise PermissionDenied(_("您不能为该合作社分红"))


@transaction.atomic
def dividend_run_create(
    *,
    actor,
    cooperative,
    year,
    total,
    incentive_mode,
    incentive_value,
    policy,
    parameters=None,
    record_date=None,
    ceiling_confirmed=False,
):
    """A new run version in status `queued`; call `dividend_run_enqueue` to compute it."""
    _require_manager(actor, cooperative)
    parameters = dict(parameters or {})
    parameters.setdefault("veto", True)
    if policy not in DividendRun.Policy.values:
        raise ValidationError(_("未知的激励分配办法"))
    if validate_parameters(policy, parameters):
        raise ValidationError(_("分配参数不正确：档次须按分数从低到高、比例不减且不为负"))
    base_pool, incentive_pool = pools(
        total=total, incentive_mode=incentive_mode, incentive_value=incentive_value
    )
    if exceeds_ceiling(total=total, incentive_pool=incentive_pool) and not ceiling_confirmed:
        raise ValidationError(
            _("积分激励池 %(pool)s 元超过可分配总额的20%%（公开的上限），须明确确认后才能创建")
            % {"pool": incentive_pool}
        )
    if scoring.standard_for(cooperative=cooperative, year=year) is None:
        raise ValidationError(
            _("%(cooperative)s 在 %(year)s 年没有已发布的积分标准，无法计算积分激励")
            % {"cooperative": cooperative.name, "year": year}
        )
    # Lock the cooperative, not the latest run: there is none before the first version,
    # and two first runs created at once must still get versions 1 and 2 (and a version
    # cannot slip in while the year is being approved, which locks the same row).
    Cooperative.objects.select_for_update().filter(pk=cooperative.pk).first()
    _refuse_if_year_approved(cooperative, year)
    latest = (
        DividendRun.objects.filter(cooperative=cooperative, year=year).order_by("-version").first()
    )
    run = DividendRun.objects.create(
        cooperative=cooperative,
        year=year,
        version=(latest.version + 1) if latest else 1,
        record_date=record_date or date(year, 12, 31),
        # `pools` checked both: the total is to the fen (to_fen only writes it with two
        # places), the value has at most 4 decimals; both are stored exactly as used.
        total=to_fen(total),
        incentive_mode=incentive_mode,
        incentive_value=Decimal(incentive_value),
        base_pool=base_pool,
        incentive_pool=incentive_pool,
        ceiling_confirmed=ceiling_confirmed,
        policy=policy,
        parameters=parameters,
        status=DividendRun.Status.QUEUED,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="dividend.create",
        target=run,
        details={
            "total": str(run.total),
            "base_pool": str(base_pool),
            "incentive_pool": str(incentive_pool),
            "policy": policy,
            "parameters": parameters,
            "record_date": run.record_date.isoformat(),
        },
    )
    return run


def approved_run_of_year(*, cooperative, year):
    """The year's approved run of the cooperative, or None (there is at most one)."""
    return DividendRun.objects.filter(
        cooperative=cooperative, year=year, status=DividendRun.Status.APPROVED
    ).first()


def _year_approved_message(approved):
    return _("%(year)s 年的分红方案已审批（第 %(version)s 版），已冻结，不能再创建新版本") % {
        "year": approved.year,
        "version": approved.version,
    }


def _refuse_if_year_approved(cooperative, year):
    approved = approved_run_of_year(cooperative=cooperative, year=year)
    if approved is not None:
        raise ValidationError(_year_approved_message(approved))


def recompute_refusal(*, actor, run):
    """Why `run` may not be recomputed as a new version by `actor`, or None: only a
    computed run, by its cooperative's accountant or an admin (an approved year refuses
    any new version in `dividend_run_create`; a failed or stalled run is sent again as
    the same version, `dividend_run_retry`)."""
    if not cooperatives_managed_by(actor).filter(pk=run.cooperative_id).exists():
        return _("您不能为该合作社分红")
    approved = approved_run_of_year(cooperative=run.cooperative, year=run.year)
    if approved is not None:
        return _year_approved_message(approved)
    if run.status != DividendRun.Status.COMPUTED:
        return _("当前状态（%(status)s）的方案不能重新计算") % {"status": run.get_status_display()}
    return None


def dividend_run_recompute(*, actor, run):
    """Recompute a computed run as a new version with the same inputs (e.g. after late
    score events). The service checks it may (`recompute_refusal`), whoever calls it."""
    run = DividendRun.objects.select_related("cooperative").get(pk=run.pk)
    refusal = recompute_refusal(actor=actor, run=run)
    if refusal is not None:
        if not cooperatives_managed_by(actor).filter(pk=run.cooperative_id).exists():
            raise PermissionDenied(refusal)
        raise ValidationError(refusal)
    return dividend_run_create(
        actor=actor,
        cooperative=run.cooperative,
        year=run.year,
        total=run.total,
        incentive_mode=run.incentive_mode,
        incentive_value=run.incentive_value,
        policy=run.policy,
        parameters=run.parameters,
        record_date=run.record_date,
        ceiling_confirmed=run.ceiling_confirmed,
    )


# One computed line: the DividendLine fields except the run. Plain tuples, not model
# instances, so that 100,000 of them are cheap to build and to hold.
Line = namedtuple(
    "Line",
    [
        "household_id",
        "household_number",
        "head_name",
        "head_id_number_masked",
        "community_name",
        "bank_name",
        "bank_account",
        "shares",
        "weighted_shares",
        "score",
        "vetoed",
        "base_amount",
        "incentive_amount",
        "total_amount",
    ],
)


@jobs.cyclic_gc_paused()
def compute_lines(*, run, progress=lambda percent: None):
    """The run's lines in memory (`Line`s, in household number order), from set-based
    reads: no query and no model instance per household.

    Written for 100,000 households: rows are tuples, and each intermediate result is
    dropped as soon as it is used, which keeps the worker's peak memory down.
    """
    cooperative = run.cooperative
    classes = {
        pk: (name, weight)
        for pk, name, weight in cooperative.share_classes.values_list("pk", "name", "weight")
    }
    holdings = register.cooperative_holdings(cooperative=cooperative, on=run.record_date)
    progress(20)
    scores, vetoed = scoring.cooperative_scores(cooperative=cooperative, year=run.year)
    if scores is None:
        raise ValidationError(
            _("%(cooperative)s 在 %(year)s 年没有已发布的积分标准")
            % {"cooperative": cooperative.name, "year": run.year}
        )
    progress(45)
    # The households paid, with their weighted shares and the snapshot of their shares.
    # Both depend on the holding only, and most households hold one of a few holdings:
    # each distinct holding is worked out once, and its snapshot dict shared (read-only).
    households, weighted, snapshot_of, by_holding = [], {}, {}, {}
    for household in (
        Household.objects.filter(cooperative=cooperative)
        .order_by("number")
        .values_list(
            "pk",
            "number",
            "head_name",
            "head_id_number",
            "bank_name",
            "bank_account",
            "community__name",
            named=True,
        )
    ):
        held = holdings.get(household.pk)
        if held is None:
            continue
        # The classes and the quantities as text: equal keys mean identical Decimals.
        key = (tuple(held), tuple(map(str, held.values())))
        if key not in by_holding:
            by_holding[key] = (
                sum((quantity * classes[class_id][1] for class_id, quantity in held.items()), ZERO),
                {
                    classes[class_id][0]: str(quantity)
                    for class_id, quantity in sorted(held.items())
                },
            )
        shares, snapshot = by_holding[key]
        # Only households holding weighted shares on the record date are paid.
        if shares > 0:
            households.append(household)
            weighted[household.pk] = shares
            snapshot_of[household.pk] = snapshot
    del holdings, by_holding
    total_weight = sum(weighted.values(), ZERO)
    score_of = {household.number: scores[household.pk] for household in households}
    base = split_by_weights(
        run.base_pool,
        [(household.number, weighted[household.pk]) for household in households],
        tie_break=higher_score_first(score_of),
    )
    del score_of
    progress(60)
    candidates = [
        Candidate(
            number=household.number,
            weighted_shares=weighted[household.pk],
            score=scores[household.pk],
            vetoed=household.pk in vetoed,
            base_exact=exact_share(run.base_pool, weighted[household.pk], total_weight),
        )
        for household in households
    ]
    del scores, weighted
    incentive = allocate_incentive(
        policy=run.policy, parameters=run.parameters, pool=run.incentive_pool, candidates=candidates
    )
    progress(70)
    lines = []
    for household, candidate in zip(households, candidates, strict=True):
        base_amount, incentive_amount = base[household.number], incentive[household.number]
        lines.append(
            Line(
                household_id=household.pk,
                household_number=household.number,
                head_name=household.head_name,
                head_id_number_masked=mask_id_number(household.head_id_number),
                community_name=household.community__name,
                bank_name=household.bank_name,
                bank_account=household.bank_account,
                shares=snapshot_of[household.pk],
                weighted_shares=candidate.weighted_shares,
                score=candidate.score,
                vetoed=candidate.vetoed,
                base_amount=base_amount,
                incentive_amount=incentive_amount,
                total_amount=base_amount + incentive_amount,
            )
        )
    return lines


def approval_refusal(*, actor, run):
    """Why `actor` may not approve `run` now, or None when they may: the one rule the
    approval service enforces and the pages use to offer (or not) the approve button.

    - only the cooperative's accountants, its supervisor (理事长/监事长) and their
      town admins sign its runs (`accounts.scope.cooperatives_signed_by`; the city admin
      reads them, `may_sign` is false);
    - four-eyes (on by default per cooperative): never the person who created the run;
    - only a computed run, and only while no other version of the year is approved.
    """
    if (
        not actor.may_sign
        or not cooperatives_signed_by(actor).filter(pk=run.cooperative_id).exists()
    ):
        return _("您不能审批该合作社的分红方案")
    if run.cooperative.four_eyes_approval and run.created_by_id == actor.pk:
        return _("本社实行双人审核：方案由您创建，须由本社另一名会计或理事长/监事长审批")
    if run.status == DividendRun.Status.APPROVED:
        return _("本方案已审批")
    approved = approved_run_of_year(cooperative=run.cooperative, year=run.year)
    if approved is not None and approved.pk != run.pk:
        return _("%(year)s 年已有审批通过的分红方案（第 %(version)s 版）") % {
            "year": approved.year,
            "version": approved.version,
        }
    if run.status != DividendRun.Status.COMPUTED:
        return _("只有已计算的方案才能审批（当前状态：%(status)s）") % {
            "status": run.get_status_display()
        }
    return None


@transaction.atomic
def dividend_run_approve(*, actor, run):
    """Approve a computed run: it is frozen from now on. Two approvals cannot both succeed,
    and under four-eyes the creator cannot approve their own run."""
    # The cooperative row first (as creating a version does), then the run: no new
    # version and no second approval can slip in between the checks and the update.
    Cooperative.objects.select_for_update().filter(pk=run.cooperative_id).first()
    run = DividendRun.objects.select_for_update().select_related("cooperative").get(pk=run.pk)
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
            DividendRun.objects.filter(pk=run.pk).update(
                status=DividendRun.Status.APPROVED, approved_by=actor, approved_at=timezone.now()
            )
    except IntegrityError as error:
        raise ValidationError(
            _("%(year)s 年已有审批通过的分红方案") % {"year": run.year}
        ) from error
    audit_record(
        actor=actor,
        action="dividend.approve",
        target=run,
        details={
            "total": str(run.total),
            "base_pool": str(run.base_pool),
            "incentive_pool": str(run.incentive_pool),
            "remainder": str(run.remainder),
            "households": run.household_count,
            "created_by": run.created_by.get_username(),
            "approved_by": actor.get_username(),
            "four_eyes": run.cooperative.four_eyes_approval,
        },
    )
    run.refresh_from_db()
    return run


def dividend_run_exported(*, actor, run, kind, file_format):
    """Exports are audited: who took which list of which run."""
    audit_record(
        actor=actor,
        action="dividend.export",
        target=run,
        details={"kind": kind, "format": file_format},
    )


@transaction.atomic
def dividend_run_mark_paid(*, actor, run, paid_on=None):
    """Record that an approved run was paid. Refused while the run is under notice (公示):
    the households may still object until the period's last day (docs/villagers.md).

    Judged by today's local date (`notice.today`), never by the typed one: nothing can be
    recorded before the period has ended. The payment date (default today) can be neither
    in the future nor on or before the period's last day. Every path (the run page, and
    any other that records a payment) comes through here."""
    from . import notice
    from .models import DividendPayment

    if not may_pay_run(actor, run):
        raise PermissionDenied(_("只有本社会计和街道管理员可以登记发放"))
    run = DividendRun.objects.select_for_update().select_related("cooperative").get(pk=run.pk)
    if run.status != DividendRun.Status.APPROVED:
        raise ValidationError(_("方案审批后才能登记发放"))
    today = notice.today()
    paid_on = paid_on or today
    last_day = notice.notice_window(run)[1]
    if today <= last_day:
        raise ValidationError(
            _("公示期到 %(last)s 为止，公示期结束后才能登记发放") % {"last": last_day.isoformat()}
        )
    if paid_on > today:
        raise ValidationError(
            _("发放日期 %(date)s 晚于今天，不能预先登记发放") % {"date": paid_on.isoformat()}
        )
    if paid_on <= last_day:
        raise ValidationError(
            _("发放日期 %(date)s 在公示期内（公示期到 %(last)s 为止），须在公示期结束之后")
            % {"date": paid_on.isoformat(), "last": last_day.isoformat()}
        )
    if DividendPayment.objects.filter(run=run).exists():
        raise ValidationError(_("该方案已登记发放"))
    payment = DividendPayment.objects.create(run=run, paid_on=paid_on, recorded_by=actor)
    audit_record(
        actor=actor,
        action="dividend_run.paid",
        target=run,
        details={"paid_on": paid_on.isoformat()},
    )
    return payment


def may_pay_run(actor, run):
    """Whether `actor` keeps and pays `run`'s cooperative (accountant of it, or the admin)."""
    return (
        getattr(actor, "is_authenticated", False)
        and actor.is_active
        and actor.may_pay
        and cooperatives_managed_by(actor).filter(pk=run.cooperative_id).exists()
    )
