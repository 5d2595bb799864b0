from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Community(models.Model):
    """Who scores households: an urban community (社区) holding shareholders of
    dissolved villages, or the committee of a remaining village scoring its own."""

    class Kind(models.TextChoices):
        URBAN = "urban", _("城市社区")
        VILLAGE_COMMITTEE = "village_committee", _("村委会")

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.URBAN)
    village = models.OneToOneField(
        "villages.Village",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="committee",
        verbose_name=_("所属行政村"),
        help_text=_("仅村委会填写"),
    )

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="urban", village__isnull=True)
                | models.Q(kind="village_committee", village__isnull=False),
                name="community_village_matches_kind",
            ),
        ]

    def __str__(self):
        return self.name


class MicroGrid(models.Model):
    """About ten households under one grid leader (微网格)."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="micro_grids", verbose_name=_("社区")
    )
    code = models.CharField(_("编码"), max_length=32)
    name = models.CharField(_("名称"), max_length=100)
    leader_name = models.CharField(_("网格长"), max_length=50, blank=True)
    leader_phone = models.CharField(_("网格长电话"), max_length=20, blank=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_micro_grids",
        verbose_name=_("网格长账号"),
    )

    class Meta:
        verbose_name = _("微网格")
        verbose_name_plural = _("微网格")
        ordering = ["community", "code"]
        constraints = [
            models.UniqueConstraint(fields=["community", "code"], name="micro_grid_code_unique"),
        ]

    def __str__(self):
        return f"{self.community.name} {self.name}"


class StaffMembership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_memberships",
        verbose_name=_("工作人员"),
    )
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="staff_memberships", verbose_name=_("社区")
    )
    since = models.DateField(_("起始日期"), auto_now_add=True)

    class Meta:
        verbose_name = _("社区工作人员")
        verbose_name_plural = _("社区工作人员")
        constraints = [
            models.UniqueConstraint(fields=["user", "community"], name="staff_membership_unique"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.community}"
