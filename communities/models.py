from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _

from pinghu_points import files


class Community(models.Model):
    """Who scores households: an urban community (社区) holding shareholders of
    dissolved villages, or the committee of a remaining village scoring its own."""

    class Kind(models.TextChoices):
        URBAN = "urban", _("城市社区")
        VILLAGE_COMMITTEE = "village_committee", _("村委会")

    town = models.ForeignKey(
        "villages.Town",
        on_delete=models.PROTECT,
        related_name="communities",
        verbose_name=_("镇（街道）"),
    )
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
    # Who villagers call, e.g. to lift a login lockout (shown on the login page).
    phone = models.CharField(_("社区电话"), max_length=30, blank=True)
    review_required = models.BooleanField(
        _("积分需复核"),
        default=False,
        help_text=_("开启后，一名工作人员录入的积分须由另一名工作人员确认后才计入"),
    )
    # 红黑榜: whether the community's villagers see its monthly 红榜 (never the 黑榜).
    honor_roll_published = models.BooleanField(
        _("向村民公布红榜"),
        default=False,
        help_text=_("开启后，本社区村民可在手机上看到每月红榜；黑榜只有工作人员可见"),
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
        Community,
        on_delete=models.PROTECT,
        related_name="staff_memberships",
        verbose_name=_("社区"),
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


POINTS = {"max_digits": 7, "decimal_places": 1}


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("This ledger is append-only; record a reversal instead")

    def delete(self):
        raise PermissionError("This ledger is append-only; record a reversal instead")


class AppendOnlyModel(models.Model):
    """Rows that are written once and never changed: history is kept, not rewritten."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("This ledger is append-only; record a reversal instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("This ledger is append-only; record a reversal instead")


class ScoringStandard(models.Model):
    """The add/deduct items in force for one year (积分标准)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")

    # The town that keeps the standard: its unified one for the dissolved villages, or a
    # village's own (一村一主题) for a village that scores itself.
    town = models.ForeignKey(
        "villages.Town",
        on_delete=models.PROTECT,
        related_name="scoring_standards",
        verbose_name=_("镇（街道）"),
    )
    name = models.CharField(_("名称"), max_length=100)
    year = models.PositiveSmallIntegerField(_("年度"))
    theme = models.CharField(_("主题"), max_length=100, blank=True, help_text=_("一村一主题"))
    base_points = models.DecimalField(_("基础分"), default=100, **POINTS)
    lower_bound = models.DecimalField(_("年度最低分"), default=0, **POINTS)
    upper_bound = models.DecimalField(_("年度最高分"), default=120, **POINTS)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    cooperatives = models.ManyToManyField(
        "villages.Cooperative",
        through="StandardAdoption",
        related_name="scoring_standards",
        verbose_name=_("采用的合作社"),
    )

    class Meta:
        verbose_name = _("积分标准")
        verbose_name_plural = _("积分标准")
        ordering = ["-year", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["town", "name", "year"], name="standard_town_name_year_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(lower_bound__lte=models.F("base_points"))
                & models.Q(base_points__lte=models.F("upper_bound")),
                name="standard_bounds_around_base",
            ),
        ]

    def __str__(self):
        return f"{self.year} {self.name}"

    def clip(self, score):
        return min(max(score, self.lower_bound), self.upper_bound)


class StandardAdoption(models.Model):
    """A cooperative adopts a standard after its shareholder representatives vote it."""

    standard = models.ForeignKey(
        ScoringStandard,
        on_delete=models.PROTECT,
        related_name="adoptions",
        verbose_name=_("积分标准"),
    )
    cooperative = models.ForeignKey(
        "villages.Cooperative",
        on_delete=models.PROTECT,
        related_name="standard_adoptions",
        verbose_name=_("合作社"),
    )
    year = models.PositiveSmallIntegerField(_("年度"), editable=False)
    meeting_date = models.DateField(_("股东代表大会日期"))
    votes_for = models.PositiveIntegerField(_("赞成票"))
    votes_against = models.PositiveIntegerField(_("反对票"), default=0)
    votes_abstain = models.PositiveIntegerField(_("弃权票"), default=0)
    # PDF or image, stored under a random name, served only by pinghu_points.file_views.
    resolution = models.FileField(
        _("决议文件"), upload_to=files.resolution_upload_to, blank=True, db_index=True
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("标准采用决议")
        verbose_name_plural = _("标准采用决议")
        constraints = [
            # One standard per cooperative and year: the score must be unambiguous.
            models.UniqueConstraint(
                fields=["cooperative", "year"], name="one_standard_per_cooperative_year"
            ),
        ]

    def __str__(self):
        return f"{self.cooperative} ← {self.standard}"

    def save(self, *args, **kwargs):
        self.year = self.standard.year
        super().save(*args, **kwargs)


class ScoringItem(models.Model):
    """One rule of a standard: what earns or loses points, and how many."""

    class Category(models.TextChoices):
        ENVIRONMENT = "environment", _("环境整治")
        CIVILITY = "civility", _("文明新风")
        PARTICIPATION = "participation", _("社区参与")
        LAW = "law", _("遵纪守法")
        FAMILY = "family", _("家风家教")
        OTHER = "other", _("其他")

    class Direction(models.TextChoices):
        ADD = "add", _("加分")
        DEDUCT = "deduct", _("扣分")

    standard = models.ForeignKey(
        ScoringStandard, on_delete=models.PROTECT, related_name="items", verbose_name=_("积分标准")
    )
    code = models.CharField(_("编码"), max_length=32)
    name = models.CharField(_("名称"), max_length=100)
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    direction = models.CharField(_("加/扣"), max_length=10, choices=Direction.choices)
    # Points are entered as magnitudes; the direction gives the sign.
    default_points = models.DecimalField(_("默认分值"), **POINTS)
    min_points = models.DecimalField(_("最低分值"), **POINTS)
    max_points = models.DecimalField(_("最高分值"), **POINTS)
    cap_per_month = models.DecimalField(_("每月上限"), null=True, blank=True, **POINTS)
    cap_per_year = models.DecimalField(_("每年上限"), null=True, blank=True, **POINTS)
    is_veto = models.BooleanField(_("一票否决"), default=False)
    evidence_required = models.BooleanField(_("须上传照片"), default=False)
    description = models.TextField(_("说明"), blank=True)
    # 整改: a deduction under this item opens a rectification due this many days later.
    rectify_days = models.PositiveSmallIntegerField(
        _("整改期限（天）"),
        null=True,
        blank=True,
        help_text=_("仅扣分项填写；留空表示该项扣分不需整改"),
    )
    # What on-time rectification earns back: 0 nothing, 100 the whole deduction.
    rectify_refund_percent = models.PositiveSmallIntegerField(
        _("按期整改返还比例（%）"),
        default=0,
        blank=True,
        help_text=_("按期整改后返还扣分的百分比：0 不返还，100 全部返还；逾期或未整改不返还"),
    )

    class Meta:
        verbose_name = _("积分项")
        verbose_name_plural = _("积分项")
        ordering = ["standard", "direction", "code"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "code"], name="item_code_unique"),
            models.CheckConstraint(
                condition=models.Q(min_points__gt=0)
                & models.Q(min_points__lte=models.F("default_points"))
                & models.Q(default_points__lte=models.F("max_points")),
                name="item_points_range",
            ),
            models.CheckConstraint(
                condition=models.Q(rectify_refund_percent__lte=100),
                name="item_rectify_refund_percent_range",
            ),
            models.CheckConstraint(
                condition=models.Q(rectify_days__isnull=True)
                | models.Q(direction="deduct", rectify_days__gt=0),
                name="item_rectify_only_deductions",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def sign(self):
        return 1 if self.direction == self.Direction.ADD else -1

    def clean(self):
        super().clean()
        # Left empty in a form: nothing comes back, as the default says.
        if self.rectify_refund_percent is None:
            self.rectify_refund_percent = 0

    @property
    def is_rectifiable(self):
        return self.rectify_days is not None and self.direction == self.Direction.DEDUCT

    # The one "needs a photo" rule: the item says so, and a veto always does. Per row here,
    # as a filter in ITEM_NEEDS_PHOTO below the class.
    @property
    def needs_photo(self):
        return self.evidence_required or self.is_veto


# ScoringItem.needs_photo as a filter.
ITEM_NEEDS_PHOTO = models.Q(evidence_required=True) | models.Q(is_veto=True)


class ScoreEvent(AppendOnlyModel):
    """One add or deduct for one household (积分记录). Never edited or deleted:
    a mistake is corrected by a reversal that points at the original."""

    household = models.ForeignKey(
        "villages.Household",
        on_delete=models.PROTECT,
        related_name="score_events",
        verbose_name=_("股东户"),
    )
    item = models.ForeignKey(
        ScoringItem, on_delete=models.PROTECT, related_name="events", verbose_name=_("积分项")
    )
    points = models.DecimalField(_("分值"), help_text=_("加分为正，扣分为负"), **POINTS)
    occurred_on = models.DateField(_("发生日期"), db_index=True)
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="score_events", verbose_name=_("评分社区")
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("录入人"),
    )
    entered_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    # A re-encoded JPEG under a random name, served only by pinghu_points.file_views.
    evidence = models.ImageField(
        _("照片"), upload_to=files.evidence_upload_to, blank=True, db_index=True
    )
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal",
        verbose_name=_("冲正的记录"),
    )
    # Snapshot of the community's review setting when entered, so history never shifts.
    needs_review = models.BooleanField(_("须复核"), default=False)
    batch = models.UUIDField(_("批次"), null=True, blank=True, db_index=True)
    # Made on the phone for each entry, so a repeated send finds the event it already made.
    client_id = models.UUIDField(_("客户端编号"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("积分记录")
        verbose_name_plural = _("积分记录")
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["household", "occurred_on"])]
        constraints = [
            models.CheckConstraint(condition=~models.Q(points=0), name="score_event_not_zero"),
            models.CheckConstraint(
                condition=models.Q(reverses__isnull=True) | ~models.Q(note=""),
                name="reversal_has_reason",
            ),
            # One event per entry made on a phone, however often the phone sends it.
            models.UniqueConstraint(fields=["client_id"], name="score_event_client_id_unique"),
        ]

    def __str__(self):
        return f"{self.occurred_on} {self.household} {self.item.name} {self.points:+}"

    @property
    def is_reversal(self):
        return self.reverses_id is not None

    @property
    def review_or_none(self):
        try:
            return self.review
        except ObjectDoesNotExist:
            return None

    @property
    def reversal_or_none(self):
        try:
            return self.reversal
        except ObjectDoesNotExist:
            return None

    @property
    def offsetting_reversal(self):
        """The reversal that cancels this event: one that counts. A veto's reversal waits for
        its second person, and one they rejected cancels nothing: the event still counts."""
        reversal = self.reversal_or_none
        return reversal if reversal is not None and reversal.counts else None

    @property
    def waiting_reversal(self):
        """A reversal that does not count (yet): a veto's, awaiting or refused its second person."""
        reversal = self.reversal_or_none
        return reversal if reversal is not None and not reversal.counts else None

    @property
    def reader_state(self):
        """What the card and the door app tell: reversal, pending, rejected, reversed or
        counted (a reversal's own review shows through review_state beside it)."""
        if self.is_reversal:
            return "reversal"
        if self.review_state in ("pending", "rejected"):
            return self.review_state
        if self.offsetting_reversal is not None:
            return "reversed"
        return "counted"

    @property
    def review_state(self):
        """none (no review needed), pending, confirmed or rejected."""
        if not self.needs_review:
            return "none"
        review = self.review_or_none
        return "pending" if review is None else review.decision

    @property
    def counts(self):
        """Whether the event counts toward the score (the selectors' COUNTING rule, per row)."""
        return self.review_state in ("none", "confirmed")

    @property
    def is_reversible(self):
        """A counted original that has not been reversed yet (scope is checked elsewhere)."""
        return not self.is_reversal and self.reversal_or_none is None and self.counts


class EventReview(AppendOnlyModel):
    """A second staff member's confirmation or rejection: its own record, so the event stays unchanged."""

    class Decision(models.TextChoices):
        CONFIRMED = "confirmed", _("确认")
        REJECTED = "rejected", _("驳回")

    event = models.OneToOneField(
        ScoreEvent, on_delete=models.PROTECT, related_name="review", verbose_name=_("积分记录")
    )
    decision = models.CharField(_("结论"), max_length=20, choices=Decision.choices)
    reason = models.CharField(_("理由"), max_length=255, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("复核人"),
    )
    reviewed_at = models.DateTimeField(_("复核时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("积分复核")
        verbose_name_plural = _("积分复核")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(decision="rejected") | ~models.Q(reason=""),
                name="rejection_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.get_decision_display()} {self.event}"


class MonthStatusChange(AppendOnlyModel):
    """Closing or reopening a community's month. The latest change is the month's state."""

    class Action(models.TextChoices):
        CLOSE = "close", _("关账")
        REOPEN = "reopen", _("重新开放")

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="month_changes", verbose_name=_("社区")
    )
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    reason = models.CharField(_("原因"), max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("月度关账记录")
        verbose_name_plural = _("月度关账记录")
        ordering = ["community", "month", "at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(month__day=1), name="month_is_first_day"),
            models.CheckConstraint(
                condition=~models.Q(action="reopen") | ~models.Q(reason=""),
                name="reopen_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.community} {self.month:%Y-%m} {self.get_action_display()}"


class HouseholdVisit(AppendOnlyModel):
    """A grid leader's visit to a household that needs no points (走访记录): the month page
    counts a household as visited when it has a visit or a score event in the month."""

    household = models.ForeignKey(
        "villages.Household",
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("股东户"),
    )
    visited_on = models.DateField(_("走访日期"), db_index=True)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("记录人"),
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_on", "-id"]
        constraints = [
            # One visit per household, day and leader: pressing the button twice is one visit.
            models.UniqueConstraint(
                fields=["household", "visited_on", "recorded_by"], name="visit_once_a_day"
            ),
        ]

    def __str__(self):
        return f"{self.visited_on} {self.household}"


class Rectification(AppendOnlyModel):
    """What a household must fix after a deduction under a rectifiable item (整改), by
    `due_on`. Opened by `services.score_events_record` with the deduction; its one
    re-inspection is a `RectificationInspection` of its own, so this row never changes."""

    deduction = models.OneToOneField(
        ScoreEvent,
        on_delete=models.PROTECT,
        related_name="rectification",
        verbose_name=_("扣分记录"),
    )
    household = models.ForeignKey(
        "villages.Household",
        on_delete=models.PROTECT,
        related_name="rectifications",
        verbose_name=_("股东户"),
    )
    due_on = models.DateField(_("整改期限"), db_index=True)
    opened_at = models.DateTimeField(_("开始时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("整改")
        verbose_name_plural = _("整改")
        ordering = ["due_on", "id"]

    def __str__(self):
        return f"{self.household} {self.deduction.item.name} {self.due_on}"

    @property
    def inspection_or_none(self):
        try:
            return self.inspection
        except ObjectDoesNotExist:
            return None


class RectificationInspection(AppendOnlyModel):
    """The re-inspection at the door (整改复查): once per rectification. On time it may earn
    back part or all of the deduction as a new score event (`earn_back`), never by editing
    the deduction."""

    class Result(models.TextChoices):
        ON_TIME = "on_time", _("按期整改")
        LATE = "late", _("逾期整改")
        NOT_RECTIFIED = "not_rectified", _("未整改")

    rectification = models.OneToOneField(
        Rectification,
        on_delete=models.PROTECT,
        related_name="inspection",
        verbose_name=_("整改"),
    )
    result = models.CharField(_("复查结果"), max_length=20, choices=Result.choices)
    inspected_on = models.DateField(_("复查日期"))
    note = models.CharField(_("备注"), max_length=255, blank=True)
    # A re-encoded JPEG under a random name, served only by pinghu_points.file_views.
    photo = models.ImageField(
        _("照片"), upload_to=files.evidence_upload_to, blank=True, db_index=True
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("复查人"),
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    earn_back = models.OneToOneField(
        ScoreEvent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="earned_back_for",
        verbose_name=_("返还积分记录"),
    )

    class Meta:
        verbose_name = _("整改复查")
        verbose_name_plural = _("整改复查")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(earn_back__isnull=True) | models.Q(result="on_time"),
                name="only_on_time_earns_back",
            ),
        ]

    def __str__(self):
        return f"{self.get_result_display()} {self.rectification}"


class DoorRecord(AppendOnlyModel):
    """One record made in the door app without signal and synced later (issue 25, point 4):
    a matter, a matter's progress note, a visit or a re-inspection. The phone makes the
    `client_id`; this row, written in the same transaction as the record itself, is what
    makes a second send of it find the first instead of recording it again (score entries
    keep theirs on `ScoreEvent.client_id`). `object_id` is the row the service wrote."""

    class Kind(models.TextChoices):
        MATTER = "matter", _("议事")
        PROGRESS = "progress", _("办理情况")
        VISIT = "visit", _("走访")
        INSPECTION = "inspection", _("整改复查")

    client_id = models.UUIDField(_("记录编号"), unique=True)
    kind = models.CharField(_("类别"), max_length=12, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField(_("记录"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("记录人"),
    )
    recorded_at = models.DateTimeField(_("同步时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("入户离线记录")
        verbose_name_plural = _("入户离线记录")

    def __str__(self):
        return f"{self.get_kind_display()} {self.client_id}"
