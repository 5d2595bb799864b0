"""Matters (议事): a problem a villager brings to the micro-grid's 连心议站 (docs/matters.md).

A matter moves through the six named steps 收集、研判、交办、办理、跟踪、反馈. `Matter.state`
is where it stands now; `MatterStep` is the append-only log of every step taken (who, when,
a note, a photo where it makes sense). Only `matters.services` changes either, and it
refuses a step the state does not allow.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import AppendOnlyModel
from pinghu_points import files

TEXT_MAX_LENGTH = 500
NOTE_MAX_LENGTH = 300
PLACE_MAX_LENGTH = 100
OFFICE_MAX_LENGTH = 60


def photo_upload_to(instance, filename):
    """matters/YYYY/MM/<random>.jpg: the uploader's file name is never kept."""
    return files._random_name("matters/%Y/%m", filename)


class Matter(models.Model):
    class State(models.TextChoices):
        COLLECTED = "collected", _("待研判")
        ACCEPTED = "accepted", _("已受理，待交办")
        MERGED = "merged", _("已合并")
        DECLINED = "declined", _("不予受理")
        ASSIGNED = "assigned", _("已交办")
        IN_HAND = "in_hand", _("办理中")
        REPORTED = "reported", _("已反馈")

    micro_grid = models.ForeignKey(
        "communities.MicroGrid",
        on_delete=models.PROTECT,
        related_name="matters",
        verbose_name=_("微网格"),
    )
    # The household that raised it (a villager on the card, or at the door or the desk on
    # their behalf); empty when the grid leader records what they saw themselves.
    household = models.ForeignKey(
        "villages.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="matters",
        verbose_name=_("提出户"),
    )
    place = models.CharField(_("地点"), max_length=PLACE_MAX_LENGTH, blank=True)
    text = models.CharField(_("事项内容"), max_length=TEXT_MAX_LENGTH)
    # A re-encoded JPEG under a random name, served only by pinghu_points.file_views.
    photo = models.ImageField(_("照片"), upload_to=photo_upload_to, blank=True, db_index=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=State.choices, default=State.COLLECTED, db_index=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("记录人"),
    )
    recorded_at = models.DateTimeField(_("收集时间"), default=timezone.now)
    # 研判
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_matters",
        verbose_name=_("合并到"),
    )
    decline_reason = models.CharField(_("不予受理的理由"), max_length=NOTE_MAX_LENGTH, blank=True)
    # 交办: to a village committee or community (its staff handle it), or to an office
    # named in words (its progress is recorded by the grid's staff).
    assignee_community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_matters",
        verbose_name=_("承办村社"),
    )
    assignee_office = models.CharField(_("承办部门"), max_length=OFFICE_MAX_LENGTH, blank=True)
    due_on = models.DateField(_("办理期限"), null=True, blank=True, db_index=True)
    # 反馈
    result = models.CharField(_("办理结果"), max_length=NOTE_MAX_LENGTH, blank=True)
    reported_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    # The raising villager's word on the result: None until they say.
    solved = models.BooleanField(_("村民评价已解决"), null=True, blank=True)

    class Meta:
        verbose_name = _("议事事项")
        verbose_name_plural = _("议事事项")
        ordering = ["-recorded_at", "-id"]
        constraints = [
            # The last guards behind the services.
            models.CheckConstraint(
                condition=~models.Q(state="merged") | models.Q(merged_into__isnull=False),
                name="merged_matter_names_its_target",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="declined") | ~models.Q(decline_reason=""),
                name="declined_matter_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(state__in=["assigned", "in_hand", "reported"])
                | (
                    models.Q(due_on__isnull=False)
                    & (models.Q(assignee_community__isnull=False) | ~models.Q(assignee_office=""))
                ),
                name="assigned_matter_has_assignee_and_due_date",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.text[:30]}"

    @property
    def assignee_label(self):
        return self.assignee_office or (
            self.assignee_community.name if self.assignee_community else ""
        )

    def is_overdue(self, today=None):
        """Assigned, not yet reported back, and past its due date."""
        today = today or timezone.localdate()
        return (
            self.state in (self.State.ASSIGNED, self.State.IN_HAND)
            and self.due_on is not None
            and self.due_on < today
        )

    @property
    def on_time(self):
        """Reported back by the due date (None while not reported)."""
        if self.reported_at is None or self.due_on is None:
            return None
        return timezone.localdate(self.reported_at) <= self.due_on


class MatterStep(AppendOnlyModel):
    """One step taken on a matter: who, when, what was noted (the six named steps)."""

    class Step(models.TextChoices):
        COLLECT = "collect", _("收集")
        ASSESS = "assess", _("研判")
        ASSIGN = "assign", _("交办")
        HANDLE = "handle", _("办理")
        TRACK = "track", _("跟踪")
        FEEDBACK = "feedback", _("反馈")

    class Outcome(models.TextChoices):
        NONE = "", _("—")
        ACCEPTED = "accepted", _("受理")
        MERGED = "merged", _("合并")
        DECLINED = "declined", _("不予受理")
        SOLVED = "solved", _("村民：已解决")
        NOT_SOLVED = "not_solved", _("村民：未解决")

    matter = models.ForeignKey(
        Matter, on_delete=models.PROTECT, related_name="steps", verbose_name=_("议事事项")
    )
    step = models.CharField(_("环节"), max_length=10, choices=Step.choices)
    outcome = models.CharField(
        _("结论"), max_length=12, choices=Outcome.choices, blank=True, default=""
    )
    note = models.CharField(_("说明"), max_length=TEXT_MAX_LENGTH, blank=True)
    photo = models.ImageField(_("照片"), upload_to=photo_upload_to, blank=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("议事环节")
        verbose_name_plural = _("议事环节")
        ordering = ["at", "id"]

    def __str__(self):
        return f"#{self.matter_id} {self.step}"
