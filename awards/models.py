"""Award runs (奖励发放): a village's fixed fund for a month, a quarter or a year, split by
that period's scores in the counted categories or items (docs/awards.md)."""

import calendar
from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dividends.models import MONEY, DividendRun
from villages.models import mask_account


def period_bounds(kind, year, number):
    """(first day, last day) of a period: month 1–12, quarter 1–4, or the year (number 1)."""
    if kind == AwardRun.PeriodKind.MONTH:
        return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])
    if kind == AwardRun.PeriodKind.QUARTER:
        last_month = number * 3
        return (
            date(year, last_month - 2, 1),
            date(year, last_month, calendar.monthrange(year, last_month)[1]),
        )
    return date(year, 1, 1), date(year, 12, 31)


def period_label(kind, year, number):
    if kind == AwardRun.PeriodKind.MONTH:
        return _("%(year)s年%(month)s月") % {"year": year, "month": number}
    if kind == AwardRun.PeriodKind.QUARTER:
        return _("%(year)s年第%(quarter)s季度") % {"year": year, "quarter": number}
    return _("%(year)s年度") % {"year": year}


def previous_period(kind, year, number):
    """The period before (kind, year, number): last month, last quarter, last year."""
    if kind == AwardRun.PeriodKind.MONTH:
        return (year, number - 1) if number > 1 else (year - 1, 12)
    if kind == AwardRun.PeriodKind.QUARTER:
        return (year, number - 1) if number > 1 else (year - 1, 4)
    return year - 1, 1


class AwardRun(models.Model):
    """One computation of one village's award for one period (奖励发放方案)."""

    Status = DividendRun.Status  # the same job states as a dividend run

    class PeriodKind(models.TextChoices):
        MONTH = "month", _("月度")
        QUARTER = "quarter", _("季度")
        YEAR = "year", _("年度")

    class Policy(models.TextChoices):
        SCORE = "score", _("按积分比例")
        TIERS = "tiers", _("按积分档次")

    class Recipients(models.TextChoices):
        HOUSEHOLDS = "households", _("本村全部在册户")
        SHAREHOLDERS = "shareholders", _("仅持股的股东户")

    # The village's cooperative keeps its register: the village is `cooperative.village`.
    cooperative = models.ForeignKey(
        "villages.Cooperative",
        on_delete=models.PROTECT,
        related_name="award_runs",
        verbose_name=_("合作社"),
    )
    name = models.CharField(_("奖励名称"), max_length=100, help_text=_("如“全域秀美月度奖励”"))
    period_kind = models.CharField(_("周期"), max_length=10, choices=PeriodKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    # Month 1–12, quarter 1–4, or 1 for a year.
    period_number = models.PositiveSmallIntegerField(_("期数"))
    version = models.PositiveIntegerField(_("版本"), default=1)
    pool = models.DecimalField(_("奖励金总额"), **MONEY)
    # What counts: score events whose item is in one of these categories or is one of
    # these items (codes of the year's standard). At least one of the two is given.
    categories = models.JSONField(_("计分类别"), default=list, blank=True)
    item_codes = models.JSONField(_("计分项目"), default=list, blank=True)
    recipients = models.CharField(
        _("发放对象"), max_length=20, choices=Recipients.choices, default=Recipients.HOUSEHOLDS
    )
    policy = models.CharField(_("分配办法"), max_length=20, choices=Policy.choices)
    # {"min_score": "5" | null, "veto": true, "tiers": [{"min_score": "10", "share_of_base": "1"}, …]}
    parameters = models.JSONField(_("分配参数"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    error = models.TextField(_("错误"), blank=True)
    paid = models.DecimalField(_("实发奖励"), null=True, blank=True, **MONEY)
    remainder = models.DecimalField(
        _("未分配留存"),
        null=True,
        blank=True,
        help_text=_("奖励金中未发放、留在奖励基金的部分"),
        **MONEY,
    )
    household_count = models.PositiveIntegerField(_("户数"), null=True, blank=True)
    task_id = models.CharField(_("任务编号"), max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(_("最近活动时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("计算次数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    computed_at = models.DateTimeField(_("计算完成时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审批人"),
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("奖励发放方案")
        verbose_name_plural = _("奖励发放方案")
        ordering = ["cooperative", "-year", "-period_number", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "period_kind", "year", "period_number", "version"],
                name="award_run_version_unique",
            ),
            # The last guard behind the approval service: one approved run per period.
            models.UniqueConstraint(
                fields=["cooperative", "period_kind", "year", "period_number"],
                condition=models.Q(status="approved"),
                name="one_approved_award_per_period",
            ),
            models.CheckConstraint(condition=models.Q(pool__gte=0), name="award_pool_not_negative"),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="award_progress_at_most_100"
            ),
            models.CheckConstraint(
                condition=models.Q(period_number__gte=1) & models.Q(period_number__lte=12),
                name="award_period_number_range",
            ),
        ]

    def __str__(self):
        return f"{self.cooperative} {self.period_label} v{self.version}"

    def save(self, *args, **kwargs):
        # An approved award is frozen: its row can be read, never written again.
        if (
            self.pk is not None
            and AwardRun.objects.filter(pk=self.pk, status=self.Status.APPROVED).exists()
        ):
            raise PermissionError("An approved award run is frozen")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if AwardRun.objects.filter(pk=self.pk, status=self.Status.APPROVED).exists():
            raise PermissionError("An approved award run is frozen")
        return super().delete(*args, **kwargs)

    @property
    def is_frozen(self):
        return self.status == self.Status.APPROVED

    @property
    def period(self):
        return period_bounds(self.period_kind, self.year, self.period_number)

    @property
    def period_label(self):
        return period_label(self.period_kind, self.year, self.period_number)

    @property
    def progress_percent(self):
        return DividendRun.progress_percent.fget(self)

    @property
    def veto_applies(self):
        return bool((self.parameters or {}).get("veto", True))


class AwardLineQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Award lines are written once by the computation")

    def delete(self):
        raise PermissionError("Award lines are written once by the computation")


class AwardLine(models.Model):
    """One household's award in a run, with a snapshot of what was paid on."""

    run = models.ForeignKey(
        AwardRun, on_delete=models.CASCADE, related_name="lines", verbose_name=_("奖励发放方案")
    )
    household = models.ForeignKey(
        "villages.Household",
        on_delete=models.PROTECT,
        related_name="award_lines",
        verbose_name=_("户"),
    )
    household_number = models.CharField(_("户号"), max_length=32)
    head_name = models.CharField(_("户主姓名"), max_length=50)
    head_id_number_masked = models.CharField(_("身份证号（脱敏）"), max_length=18, blank=True)
    community_name = models.CharField(_("居住社区"), max_length=100, blank=True)
    bank_name = models.CharField(_("开户行"), max_length=100, blank=True)
    bank_account = models.CharField(_("银行账号"), max_length=32, blank=True)
    score = models.DecimalField(_("本期计分"), max_digits=9, decimal_places=1)
    vetoed = models.BooleanField(_("一票否决"), default=False)
    amount = models.DecimalField(_("奖励金额"), **MONEY)

    objects = AwardLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("奖励明细")
        verbose_name_plural = _("奖励明细")
        ordering = ["run", "household_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "household"], name="one_award_line_per_household"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="award_line_amount_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.run} {self.household_number} {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Award lines are written once by the computation")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Award lines are written once by the computation")

    @property
    def masked_bank_account(self):
        return mask_account(self.bank_account)

    @property
    def veto_applied(self):
        return self.vetoed and self.run.veto_applies
