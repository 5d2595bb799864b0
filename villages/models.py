from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pinghu_points.exports import FORMULA_CHARS

from .idnumbers import id_number_fault


def validate_payable_text(value):
    """A name the bank pays to must be written as it is: one that starts with a formula
    character would have to be changed (prefixed) in every spreadsheet, so it is refused."""
    if value and value.startswith(FORMULA_CHARS):
        raise ValidationError(
            _("不能以 = + - @、制表符或回车开头（表格软件会把它当成公式）"), code="formula_start"
        )


def validate_bank_account(value):
    """A bank account is digits only (ASCII 0–9), so the bank can pay it as written."""
    if value and not (value.isascii() and value.isdigit()):
        raise ValidationError(_("银行账号只能由数字组成"), code="bank_account_digits")


ID_NUMBER_MESSAGES = {
    "format": _("身份证号格式不正确，应为18位：前17位为数字，最后一位为数字或X"),
    "birth_date": _("身份证号中的出生日期不正确"),
    "check_character": _("身份证号校验位不正确"),
}


def validate_id_number(value):
    """GB 11643 (ASCII digits, a real birth date, the check character): the one validator of
    the model fields (admin forms), the bank look-up page and API, and the register import."""
    fault = id_number_fault(value)
    if fault:
        raise ValidationError(ID_NUMBER_MESSAGES[fault], code=f"id_number_{fault}")


def mask_id_number(value):
    """330482199001011234 -> 330482********1234: enough to recognise, not to misuse."""
    if not value:
        return ""
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 2, 0)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_id_number_tail(value):
    """330482199001011234 -> **************1234: only the last four (尾号), for the bank.

    The loan officer finds a head by the full number the applicant shows (the look-up);
    the list only has to tell two heads of one name apart. The place (digits 1–6) and the
    birth date (7–14) are not the bank's business, and the birth date is what a guesser
    would try (docs/bank.md, "What the bank sees")."""
    if not value:
        return ""
    return "*" * max(len(value) - 4, 0) + value[-4:]


def mask_account(value):
    """Bank account: only the last four digits are shown."""
    if not value:
        return ""
    return "*" * max(len(value) - 4, 0) + value[-4:]


def mask_phone(value):
    if not value or len(value) < 7:
        return value or ""
    return value[:3] + "****" + value[-4:]


def mask_name(name):
    """王建国 -> 王*国, 欧阳建国 -> 欧*国, 王五 -> 王*: recognisable in the village, no more."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" + name[-1]


class Town(models.Model):
    """A town (镇) or subdistrict (街道): the top of the register. Every village, and so
    every cooperative, belongs to one; so does every community and scoring standard
    (docs/towns.md). A deployment with one town works as before towns existed."""

    class Kind(models.TextChoices):
        TOWN = "town", _("镇")
        SUBDISTRICT = "subdistrict", _("街道")

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.TOWN)

    class Meta:
        verbose_name = _("镇（街道）")
        verbose_name_plural = _("镇（街道）")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Village(models.Model):
    town = models.ForeignKey(
        Town, on_delete=models.PROTECT, related_name="villages", verbose_name=_("镇（街道）")
    )
    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("村名"), max_length=100, unique=True)
    dissolved_on = models.DateField(_("撤建制日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("行政村")
        verbose_name_plural = _("行政村")
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def is_dissolved(self):
        return self.dissolved_on is not None


class Cooperative(models.Model):
    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("合作社名称"), max_length=150, unique=True)
    village = models.OneToOneField(
        Village, on_delete=models.PROTECT, related_name="cooperative", verbose_name=_("行政村")
    )
    # Four-eyes (双人审核): a dividend run is approved by someone other than its creator.
    four_eyes_approval = models.BooleanField(
        _("分红方案须由创建人以外的人审批"),
        default=True,
        help_text=_(
            "开启时，创建分红方案的人不能审批该方案，须由本社另一名会计或理事长/监事长审批"
        ),
    )
    # What the dividend notice (分红公示) prints: who to ask, and for how many days it is posted.
    notice_contact = models.CharField(
        _("公示联系人及电话"),
        max_length=100,
        blank=True,
        help_text=_("印在分红公示上，如“王会计 0573-85000000”"),
    )
    notice_days = models.PositiveSmallIntegerField(
        _("公示天数"),
        default=7,
        validators=[MinValueValidator(1)],
        help_text=_("分红公示张贴的天数，公示期从分红方案审批之日算起"),
    )

    class Meta:
        verbose_name = _("村股份经济合作社")
        verbose_name_plural = _("村股份经济合作社")
        ordering = ["code"]

    def __str__(self):
        return self.name


class ShareClass(models.Model):
    """A kind of share (人口股, 农龄股 …) with the weight it carries in the dividend."""

    cooperative = models.ForeignKey(
        Cooperative,
        on_delete=models.PROTECT,
        related_name="share_classes",
        verbose_name=_("合作社"),
    )
    code = models.CharField(_("编码"), max_length=32)
    name = models.CharField(_("股种"), max_length=50)
    weight = models.DecimalField(
        _("权重"),
        max_digits=8,
        decimal_places=4,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        verbose_name = _("股种")
        verbose_name_plural = _("股种")
        ordering = ["cooperative", "code"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "code"], name="share_class_code_unique"),
            models.UniqueConstraint(fields=["cooperative", "name"], name="share_class_name_unique"),
            models.CheckConstraint(
                condition=models.Q(weight__gte=0), name="share_class_weight_gte_0"
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.cooperative}）"


class Household(models.Model):
    cooperative = models.ForeignKey(
        Cooperative, on_delete=models.PROTECT, related_name="households", verbose_name=_("合作社")
    )
    number = models.CharField(_("户号"), max_length=32)
    head_name = models.CharField(_("户主姓名"), max_length=50, validators=[validate_payable_text])
    head_id_number = models.CharField(
        _("户主身份证号"),
        max_length=18,
        blank=True,
        validators=[validate_id_number],
    )
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="households",
        verbose_name=_("居住社区"),
    )
    micro_grid = models.ForeignKey(
        "communities.MicroGrid",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="households",
        verbose_name=_("微网格"),
    )
    bank_name = models.CharField(
        _("开户行"), max_length=100, blank=True, validators=[validate_payable_text]
    )
    bank_account = models.CharField(
        _("银行账号"), max_length=32, blank=True, validators=[validate_bank_account]
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("股东户")
        verbose_name_plural = _("股东户")
        ordering = ["cooperative", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "number"], name="household_number_unique"
            ),
        ]
        indexes = [models.Index(fields=["community", "micro_grid"])]

    def __str__(self):
        return f"{self.number} {self.head_name}"

    @property
    def masked_id_number(self):
        return mask_id_number(self.head_id_number)

    @property
    def masked_bank_account(self):
        return mask_account(self.bank_account)

    @property
    def masked_phone(self):
        return mask_phone(self.phone)

    @property
    def card_number(self):
        """Printed on the point card: cooperative code + household number."""
        return f"{self.cooperative.code}-{self.number}"


class Member(models.Model):
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="members", verbose_name=_("股东户")
    )
    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(
        _("身份证号"),
        max_length=18,
        blank=True,
        validators=[validate_id_number],
    )
    relation = models.CharField(_("与户主关系"), max_length=20, blank=True)
    is_head = models.BooleanField(_("户主"), default=False)

    class Meta:
        verbose_name = _("户成员")
        verbose_name_plural = _("户成员")
        ordering = ["household", "-is_head", "id"]

    def __str__(self):
        return self.name

    @property
    def masked_id_number(self):
        return mask_id_number(self.id_number)


class ShareMovementQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Share movements are append-only; record a new movement")

    def delete(self):
        raise PermissionError("Share movements are append-only; record a new movement")


class ShareMovement(models.Model):
    """One line of the share ledger. Holdings on a date are the sum of lines up to it.

    Rows are never edited or deleted: 生不增、死不减、可继承 means shares change hands
    by inheritance or transfer, each of which is a pair of lines (out of one household,
    into another) sharing a `transfer_group`.
    """

    class Kind(models.TextChoices):
        ISSUE = "issue", _("登记配股")
        INHERITANCE = "inheritance", _("继承")
        TRANSFER = "transfer", _("转让")
        CANCELLATION = "cancellation", _("注销")

    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        related_name="share_movements",
        verbose_name=_("股东户"),
    )
    share_class = models.ForeignKey(
        ShareClass, on_delete=models.PROTECT, related_name="movements", verbose_name=_("股种")
    )
    kind = models.CharField(_("变动类型"), max_length=20, choices=Kind.choices)
    quantity = models.DecimalField(
        _("变动股数"), max_digits=12, decimal_places=2, help_text=_("正数为增加，负数为减少")
    )
    effective_on = models.DateField(_("生效日期"), db_index=True)
    reason = models.CharField(_("原因"), max_length=255)
    counterpart = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("对方股东户"),
    )
    transfer_group = models.UUIDField(_("转移批次"), null=True, blank=True, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("登记人"),
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ShareMovementQuerySet.as_manager()

    class Meta:
        verbose_name = _("股权变动")
        verbose_name_plural = _("股权变动")
        ordering = ["household", "effective_on", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(quantity=0), name="share_movement_not_zero"),
        ]

    def __str__(self):
        return f"{self.household} {self.share_class.name} {self.quantity:+} ({self.get_kind_display()})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Share movements are append-only; record a new movement")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Share movements are append-only; record a new movement")


class ImportJob(models.Model):
    """One Excel import started from a page: its file until it has run, then its outcome.

    Large files run as a Celery task (docs/import-formats.md, "Large files"); the file is
    kept here, in the database — private, and reachable by the worker wherever it runs —
    and emptied once the task has run. Refused imports keep their errors for the report.
    """

    class Kind(models.TextChoices):
        REGISTER = "register", _("股东名册")
        SCORE_EVENTS = "score_events", _("积分检查表")
        # The town spreadsheet (docs/towns.md): checked at once, kept only for its preview.
        TOWN = "town", _("镇（街道）设置表")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导入中")
        # A register checked and counted, nothing written: it waits for the confirmation.
        PREVIEW = "preview", _("待确认")
        DONE = "done", _("已导入")
        FAILED = "failed", _("未导入")
        # A preview not confirmed (replaced, dropped or expired): nothing written, no file.
        CANCELLED = "cancelled", _("已取消")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("导入人"),
    )
    cooperative = models.ForeignKey(
        Cooperative, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("合作社")
    )
    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("社区"),
    )
    effective_on = models.DateField(_("配股生效日期"), null=True, blank=True)
    # False: the job checks the file and shows the preview; the confirmation sets it and
    # runs the job again to write (registers only; inspection sheets write at once).
    confirmed = models.BooleanField(_("已确认导入"), default=True)
    file_name = models.CharField(_("文件名"), max_length=255, blank=True)
    content = models.BinaryField(_("文件内容"), blank=True, default=b"")
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    # The job mechanism's fields (pinghu_points/jobs.py), as on a dividend run: the task
    # that was sent, the job's sign of life, how many tasks have started it.
    task_id = models.CharField(_("任务编号"), max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(_("最近活动时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("导入次数"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("Excel 导入")
        verbose_name_plural = _("Excel 导入")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.file_name} ({self.get_status_display()})"

    @property
    def finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.CANCELLED)

    @property
    def settled(self):
        """Nothing is running: done, failed, or a preview waiting for the confirmation."""
        return self.finished or self.status == self.Status.PREVIEW
