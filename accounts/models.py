from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    class Role(models.TextChoices):
        # 市级管理员: every town; sets up towns and their administrators, reads everything
        # (docs/towns.md, "The two administrators"). A superuser counts as one.
        CITY_ADMIN = "city_admin", _("市级管理员")
        # A town's (镇/街道) administrator: `town` set, limited to it. The value and the
        # label predate towns (the label is the one the subdistrict's desk knows).
        SUBDISTRICT_ADMIN = "subdistrict_admin", _("街道管理员")
        COMMUNITY_STAFF = "community_staff", _("社区工作人员")
        ACCOUNTANT = "accountant", _("合作社会计")
        # 理事长 / 监事长: reads the cooperative's register and runs, and signs (approves) runs.
        SUPERVISOR = "supervisor", _("合作社理事长/监事长")
        VILLAGER = "villager", _("村民")
        # 农商银行信贷员: reads consenting households' scores and grades, nothing else.
        BANK = "bank", _("合作银行信贷员")

    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, blank=True)
    # Community staff: the communities they work for.
    communities = models.ManyToManyField(
        "communities.Community",
        through="communities.StaffMembership",
        related_name="staff",
        blank=True,
        verbose_name=_("所属社区"),
    )
    # Accountant: the one cooperative whose books they keep. Supervisor: the one whose runs
    # they sign.
    cooperative = models.ForeignKey(
        "villages.Cooperative",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accountants",
        verbose_name=_("合作社"),
    )
    # Town administrator: the one town (镇/街道) they administer.
    town = models.ForeignKey(
        "villages.Town",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="administrators",
        verbose_name=_("镇（街道）"),
    )
    # Villager: the one household they belong to.
    household = models.ForeignKey(
        "villages.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="logins",
        verbose_name=_("股东户"),
    )
    # Bank: the one bank whose officer this is (docs/bank.md).
    bank = models.ForeignKey(
        "banking.Bank",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officers",
        verbose_name=_("银行"),
    )
    must_change_password = models.BooleanField(_("须修改密码"), default=False)
    # When the current password was issued (printed for a villager); cleared once the user
    # sets their own. An issued password expires after ISSUED_PASSWORD_VALID_DAYS.
    password_issued_at = models.DateTimeField(
        _("初始密码发放时间"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="accountant") | models.Q(cooperative__isnull=False),
                name="accountant_has_cooperative",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="supervisor") | models.Q(cooperative__isnull=False),
                name="supervisor_has_cooperative",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="villager") | models.Q(household__isnull=False),
                name="villager_has_household",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="bank") | models.Q(bank__isnull=False),
                name="bank_officer_has_bank",
            ),
        ]

    @property
    def is_city_admin(self):
        """市级管理员: every town. A superuser counts as one."""
        return self.is_superuser or self.role == self.Role.CITY_ADMIN

    @property
    def is_town_admin(self):
        """镇（街道）管理员: their town (`town`) only; never a superuser."""
        return self.role == self.Role.SUBDISTRICT_ADMIN and not self.is_superuser

    @property
    def is_admin(self):
        """Either administrator: which rows is accounts.scope's question (`towns_visible_to`)."""
        return self.is_city_admin or self.is_town_admin

    @property
    def is_community_staff(self):
        return self.role == self.Role.COMMUNITY_STAFF

    @property
    def is_accountant(self):
        return self.role == self.Role.ACCOUNTANT

    @property
    def is_supervisor(self):
        return self.role == self.Role.SUPERVISOR

    @property
    def is_villager(self):
        return self.role == self.Role.VILLAGER

    @property
    def is_bank(self):
        return self.role == self.Role.BANK

    # Named capabilities: whether the role does a thing at all, asked by views, the API, the
    # menu and templates instead of spelling out roles. Which households or cooperatives
    # it may do it to is accounts.scope's question.
    @property
    def may_score(self):
        """Enter, review and reverse points; door, batch, import, chart, month close; the
        grid work that follows them (rectification, matters at the desk, the 红黑榜 setting)."""
        return self.is_town_admin or self.is_community_staff

    @property
    def may_pay(self):
        """Keep the register and prepare and pay dividend runs (an accountant, the admin)."""
        return self.is_town_admin or self.is_accountant

    @property
    def may_read_runs(self):
        """Read dividend runs and lines: those who pay them, the supervisors who sign, the
        city administrator (who reads every town's)."""
        return self.may_pay or self.is_supervisor or self.is_city_admin

    @property
    def may_sign(self):
        """Approve (sign) dividend and award runs: the cooperative's supervisor, its
        accountants and the town admin (not the city admin, who only reads). Which run (never one's own under four-eyes) is the
        services' `approval_refusal`; which cooperatives is `cooperatives_signed_by`."""
        return self.may_pay or self.is_supervisor

    @property
    def may_print_cards(self):
        return self.is_town_admin or self.is_community_staff or self.is_accountant

    @property
    def may_read_overview(self):
        """The desk's reading pages: the household register and the subdistrict overview
        (every role but villagers and the bank)."""
        return self.may_score or self.may_sign or self.is_city_admin

    @property
    def may_answer_appeals(self):
        """Answer villagers' appeals: the staff of the entering community, the accountant."""
        return self.is_town_admin or self.is_community_staff or self.is_accountant

    @property
    def may_keep_logins(self):
        """Create, issue, reset and unlock villager logins (`households_login_keepable_by`
        says whose); never the supervisor."""
        return self.is_town_admin or self.is_community_staff or self.is_accountant

    @property
    def may_lift_any_lockout(self):
        """Unlock locked-out addresses and any account of their scope, not only villagers'
        (the admins; a town admin their town's logins, `accounts.scope.logins_unlockable_by`)."""
        return self.is_admin

    @property
    def may_read_honor_roll(self):
        """Read the 红黑榜 of communities in scope (the black list too): those who score,
        and the city administrator, who reads every town's; publishing it is `may_score`."""
        return self.may_score or self.is_city_admin

    @property
    def may_reopen_months(self):
        """Reopen a closed month (the town admin; closing is `may_score`)."""
        return self.is_town_admin

    @property
    def may_read_audit(self):
        """Read the audit trail (the admins; a town admin the records of their town's
        logins, `accounts.scope.audit_records_visible_to`)."""
        return self.is_admin

    @property
    def may_read_towns(self):
        """Read the city overview, the towns side by side (`overview:towns`): the
        administrators; which towns and figures is `accounts.scope`'s question."""
        return self.is_admin

    @property
    def may_set_up_towns(self):
        """Set up a new town from the town spreadsheet (docs/towns.md): the city's."""
        return self.is_city_admin

    @property
    def role_label(self):
        if self.is_superuser and not self.role:
            return self.Role.CITY_ADMIN.label
        return self.get_role_display()


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit trail is append-only")

    def delete(self):
        raise PermissionError("The audit trail is append-only")


class AuditRecord(models.Model):
    """One append-only line of the audit trail: who did what, when, from where."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    # Kept as text too, so the record still names the person if the account is renamed.
    actor_username = models.CharField(_("操作人账号"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=255, blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit trail is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit trail is append-only")
