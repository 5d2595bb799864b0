from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from villages.models import mask_account

MONEY = {"max_digits": 14, "decimal_places": 2}


class DividendRun(models.Model):
    """One computation of one cooperative's dividend for one year (分红方案)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("计算中")
        COMPUTED = "computed", _("已计算")
        APPROVED = "approved", _("已审批")
        FAILED = "failed", _("失败")

    class IncentiveMode(models.TextChoices):
        RATIO_OF_BASE = "ratio_of_base", _("按基本股分红的比例")
        FIXED = "fixed", _("固定金额")
        SHARE_OF_TOTAL = "share_of_total", _("按可分配总额的比例")

    class Policy(models.TextChoices):
        SCORE = "score", _("按积分比例")
        SCORE_SHARES = "score_shares", _("按积分×股数比例")
        TIERS = "tiers", _("按积分档次")

    cooperative = models.ForeignKey(
        "villages.Cooperative",
        on_delete=models.PROTECT,
        related_name="dividend_runs",
        verbose_name=_("合作社"),
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    version = models.PositiveIntegerField(_("版本"), default=1)
    record_date = models.DateField(_("股权登记日"))
    total = models.DecimalField(_("可分配总额"), **MONEY)
    incentive_mode = models.CharField(
        _("激励池设定方式"), max_length=20, choices=IncentiveMode.choices
    )
    incentive_value = models.DecimalField(
        _("激励池参数"), max_digits=14, decimal_places=4, help_text=_("比例（如0.2）或金额")
    )
    base_pool = models.DecimalField(_("基本股分红池"), **MONEY)
    incentive_pool = models.DecimalField(_("积分激励池"), **MONEY)
    ceiling_confirmed = models.BooleanField(_("已确认超过20%上限"), default=False)
    policy = models.CharField(_("激励分配办法"), max_length=20, choices=Policy.choices)
    # {"min_score": "60" | null, "veto": true, "tiers": [{"min_score": "90", "share_of_base": "0.20"}, …]}
    parameters = models.JSONField(_("分配参数"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    error = models.TextField(_("错误"), blank=True)
    incentive_paid = models.DecimalField(_("实发积分激励"), null=True, blank=True, **MONEY)
    remainder = models.DecimalField(
        _("未分配留存"),
        null=True,
        blank=True,
        help_text=_("激励池中未发放、留归合作社（如美丽基金）的部分"),
        **MONEY,
    )
    household_count = models.PositiveIntegerField(_("户数"), null=True, blank=True)
    task_id = models.CharField(_("任务编号"), max_length=64, blank=True)
    # The job's sign of life: set when the run is sent, when a task takes it and at each
    # progress step. A queued or running run whose heartbeat is older than
    # JOB_STALE_SECONDS has no live task (docs/dividends.md, "The job").
    heartbeat_at = models.DateTimeField(_("最近活动时间"), null=True, blank=True)
    # How many times a task has started computing the run (bounded by
    # JOB_MAX_ATTEMPTS, so a run that kills its worker cannot loop for ever).
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
        verbose_name = _("分红方案")
        verbose_name_plural = _("分红方案")
        ordering = ["cooperative", "-year", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "year", "version"], name="run_version_unique"
            ),
            # The last guard behind the approval service: one approved run per cooperative and year.
            models.UniqueConstraint(
                fields=["cooperative", "year"],
                condition=models.Q(status="approved"),
                name="one_approved_run_per_year",
            ),
            models.CheckConstraint(
                condition=models.Q(base_pool__gte=0) & models.Q(incentive_pool__gte=0),
                name="run_pools_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="run_progress_at_most_100"
            ),
        ]

    def __str__(self):
        return f"{self.cooperative} {self.year} v{self.version}"

    def save(self, *args, **kwargs):
        # An approved run is frozen: its row can be read, never written again.
        if (
            self.pk is not None
            and DividendRun.objects.filter(pk=self.pk, status=self.Status.APPROVED).exists()
        ):
            raise PermissionError("An approved dividend run is frozen")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if DividendRun.objects.filter(pk=self.pk, status=self.Status.APPROVED).exists():
            raise PermissionError("An approved dividend run is frozen")
        return super().delete(*args, **kwargs)

    @property
    def is_frozen(self):
        return self.status == self.Status.APPROVED

    @property
    def progress_percent(self):
        """The percentage shown beside the status, which it never contradicts: queued (or
        draft) 0, running 1–99, computed and approved 100, failed where it stopped."""
        if self.status in (self.Status.COMPUTED, self.Status.APPROVED):
            return 100
        if self.status in (self.Status.QUEUED, self.Status.DRAFT):
            return 0
        if self.status == self.Status.RUNNING:
            return min(max(self.progress, 1), 99)
        return min(self.progress, 100)

    @property
    def veto_applies(self):
        """Whether a veto item (一票否决) cancels the incentive in this run (on by default)."""
        return bool((self.parameters or {}).get("veto", True))

    @property
    def incentive_share_of_total(self):
        return self.incentive_pool / self.total if self.total else Decimal("0")


class DividendLineQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Dividend lines are written once by the computation")

    def delete(self):
        raise PermissionError("Dividend lines are written once by the computation")


class DividendLine(models.Model):
    """One household's base + incentive in a run, with a snapshot of what was paid on."""

    run = models.ForeignKey(
        DividendRun, on_delete=models.CASCADE, related_name="lines", verbose_name=_("分红方案")
    )
    household = models.ForeignKey(
        "villages.Household",
        on_delete=models.PROTECT,
        related_name="dividend_lines",
        verbose_name=_("股东户"),
    )
    # Snapshot: later register changes must not change a computed or approved run.
    household_number = models.CharField(_("户号"), max_length=32)
    head_name = models.CharField(_("户主姓名"), max_length=50)
    head_id_number_masked = models.CharField(_("身份证号（脱敏）"), max_length=18, blank=True)
    community_name = models.CharField(_("居住社区"), max_length=100, blank=True)
    bank_name = models.CharField(_("开户行"), max_length=100, blank=True)
    bank_account = models.CharField(_("银行账号"), max_length=32, blank=True)
    shares = models.JSONField(_("持股"), default=dict)
    # Exact: shares have at most 2 decimals and class weights at most 4, so their products
    # have at most 6; stored with 6 places nothing is rounded.
    weighted_shares = models.DecimalField(_("折算股数"), max_digits=18, decimal_places=6)
    score = models.DecimalField(_("年度积分"), max_digits=7, decimal_places=1)
    vetoed = models.BooleanField(_("一票否决"), default=False)
    base_amount = models.DecimalField(_("基本股分红"), **MONEY)
    incentive_amount = models.DecimalField(_("积分激励"), **MONEY)
    total_amount = models.DecimalField(_("合计"), **MONEY)

    objects = DividendLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("分红明细")
        verbose_name_plural = _("分红明细")
        ordering = ["run", "household_number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "household"], name="one_line_per_household"),
            models.CheckConstraint(
                condition=models.Q(base_amount__gte=0) & models.Q(incentive_amount__gte=0),
                name="line_amounts_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.run} {self.household_number} {self.total_amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Dividend lines are written once by the computation")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Dividend lines are written once by the computation")

    @property
    def masked_bank_account(self):
        return mask_account(self.bank_account)

    @property
    def veto_applied(self):
        """Whether a veto item cancelled this line's incentive: the household had one in the
        year (`vetoed`, the snapshot) AND the run applies the veto. Reads `self.run`."""
        return self.vetoed and self.run.veto_applies


class DividendPayment(models.Model):
    """That an approved run was paid (发放), recorded by the accountant once its 公示 period
    has ended (`services.dividend_run_mark_paid`). Kept apart from the frozen run; one per run."""

    run = models.OneToOneField(
        DividendRun, on_delete=models.PROTECT, related_name="payment", verbose_name=_("分红方案")
    )
    paid_on = models.DateField(_("发放日期"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("登记人"),
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("分红发放")
        verbose_name_plural = _("分红发放")

    def __str__(self):
        return f"{self.run} {self.paid_on}"
