"""善治金融: the bank's consented, read-only window on household scores (docs/bank.md),
and the API tokens of programs (docs/api.md)."""

import hashlib

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pinghu_points.files import _random_name


def consent_form_upload_to(instance, filename):
    """consents/YYYY/MM/<random>.jpg: the signed paper form, never under the uploader's name."""
    return _random_name("consents/%Y/%m", filename)


class Bank(models.Model):
    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("银行名称"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("合作银行")
        verbose_name_plural = _("合作银行")
        ordering = ["code"]

    def __str__(self):
        return self.name


class CreditGrade(models.Model):
    """One row of the subdistrict's grade table: a score of at least `min_score` earns
    `grade` and a credit line of `amount` yuan (the highest row reached applies)."""

    min_score = models.DecimalField(_("最低积分"), max_digits=7, decimal_places=1, unique=True)
    grade = models.CharField(_("信用等级"), max_length=8, unique=True)
    amount = models.DecimalField(
        _("授信额度（元）"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        verbose_name = _("信用等级")
        verbose_name_plural = _("信用等级表")
        ordering = ["-min_score"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="credit_grade_amount_gte_0"
            ),
        ]

    def __str__(self):
        return f"{self.grade} ≥ {self.min_score}"


class ConsentQuerySet(models.QuerySet):
    def in_force(self, *, on=None):
        """Consents that let the bank see the household on `on` (today by default)."""
        on = on or timezone.localdate()
        return self.filter(withdrawn_at__isnull=True, starts_on__lte=on).filter(
            models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=on)
        )


class Consent(models.Model):
    """The household head's consent that `bank` may see the household's score."""

    class Channel(models.TextChoices):
        CARD = "card", _("村民在积分卡上")
        DESK = "desk", _("社区窗口（纸质授权书）")

    household = models.ForeignKey(
        "villages.Household",
        on_delete=models.PROTECT,
        related_name="bank_consents",
        verbose_name=_("股东户"),
    )
    bank = models.ForeignKey(
        Bank, on_delete=models.PROTECT, related_name="consents", verbose_name=_("银行")
    )
    starts_on = models.DateField(_("授权开始日期"))
    ends_on = models.DateField(_("授权结束日期"), null=True, blank=True)
    channel = models.CharField(_("登记方式"), max_length=8, choices=Channel.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("登记人"),
    )
    entered_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    form_photo = models.FileField(
        _("签字授权书照片"),
        upload_to=consent_form_upload_to,
        blank=True,
        db_index=True,
    )
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("撤回登记人"),
    )

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("查询授权")
        verbose_name_plural = _("查询授权")
        ordering = ["-entered_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="consent_ends_after_start",
            ),
            # One open (not withdrawn) consent per household and bank.
            models.UniqueConstraint(
                fields=["household", "bank"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="consent_one_open_per_bank",
            ),
        ]

    def __str__(self):
        return f"{self.household} → {self.bank}"


class BankLookup(models.Model):
    """The bank saw this household (a look-up, the list, a download): what the card shows
    as "bank last looked". Append-only, like the audit trail beside it."""

    household = models.ForeignKey(
        "villages.Household",
        on_delete=models.CASCADE,
        related_name="bank_lookups",
        verbose_name=_("股东户"),
    )
    bank = models.ForeignKey(
        Bank, on_delete=models.PROTECT, related_name="lookups", verbose_name=_("银行")
    )
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    kind = models.CharField(_("方式"), max_length=16)

    class Meta:
        verbose_name = _("银行查询记录")
        verbose_name_plural = _("银行查询记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["household", "-at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.bank} {self.household}"


def token_hash(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A program's key to /api/v1/. Only the sha256 of the key is stored: the key itself is
    shown once, when the admin creates the token."""

    class Scope(models.TextChoices):
        USER = "user", _("以某个账号的身份（该账号的范围）")
        BANK = "bank", _("以银行的身份（仅限已授权的股东户）")

    name = models.CharField(_("名称"), max_length=100, unique=True)
    scope = models.CharField(_("范围"), max_length=8, choices=Scope.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_tokens",
        verbose_name=_("账号"),
    )
    bank = models.ForeignKey(
        Bank,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_tokens",
        verbose_name=_("银行"),
    )
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(_("密钥开头"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
        verbose_name=_("创建人"),
    )
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(scope="user", user__isnull=False, bank__isnull=True)
                    | models.Q(scope="bank", bank__isnull=False, user__isnull=True)
                ),
                name="api_token_scope_matches",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_revoked(self):
        return self.revoked_at is not None
