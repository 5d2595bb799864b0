"""Appeals (申诉): a villager questions a deduction or their dividend line (docs/villagers.md).

An appeal targets exactly one thing: a score event (`event`) or a dividend line (`line`).
It is open until answered: upheld (for an event, the event is reversed through
`communities.services.score_event_reverse`, and the reversal is kept in `reversal`) or
rejected with a reason. At most one open appeal per event or line: the services check,
and a partial unique constraint is the last guard.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pinghu_points import files

TEXT_MAX_LENGTH = 300


def photo_upload_to(instance, filename):
    """appeals/YYYY/MM/<random>.jpg: the uploader's file name is never kept."""
    return files._random_name("appeals/%Y/%m", filename)


class Appeal(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("待答复")
        UPHELD = "upheld", _("申诉成立")
        REJECTED = "rejected", _("申诉不成立")

    household = models.ForeignKey(
        "villages.Household",
        on_delete=models.PROTECT,
        related_name="appeals",
        verbose_name=_("股东户"),
    )
    event = models.ForeignKey(
        "communities.ScoreEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeals",
        verbose_name=_("积分记录"),
    )
    line = models.ForeignKey(
        "dividends.DividendLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeals",
        verbose_name=_("分红明细"),
    )
    text = models.CharField(_("申诉内容"), max_length=TEXT_MAX_LENGTH)
    # A re-encoded JPEG under a random name, served only by pinghu_points.file_views.
    photo = models.ImageField(_("照片"), upload_to=photo_upload_to, blank=True, db_index=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=State.choices, default=State.OPEN, db_index=True
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("申诉人"),
    )
    filed_at = models.DateTimeField(_("申诉时间"), default=timezone.now)
    answer = models.CharField(_("答复"), max_length=TEXT_MAX_LENGTH, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("答复人"),
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    reversal = models.OneToOneField(
        "communities.ScoreEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeal_upheld",
        verbose_name=_("冲正记录"),
    )

    class Meta:
        verbose_name = _("申诉")
        verbose_name_plural = _("申诉")
        ordering = ["-filed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(event__isnull=False, line__isnull=True)
                | models.Q(event__isnull=True, line__isnull=False),
                name="appeal_targets_event_or_line",
            ),
            # The last guard behind the services: one open appeal per event and per line.
            models.UniqueConstraint(
                fields=["event"],
                condition=models.Q(state="open", event__isnull=False),
                name="one_open_appeal_per_event",
            ),
            models.UniqueConstraint(
                fields=["line"],
                condition=models.Q(state="open", line__isnull=False),
                name="one_open_appeal_per_line",
            ),
        ]

    def __str__(self):
        # The audit trail's "object" column: the household's number, the state in words.
        return _("申诉 #%(id)s（股东户 %(number)s，%(state)s）") % {
            "id": self.pk,
            "number": self.household.number if self.household_id else "—",
            "state": self.get_state_display(),
        }

    @property
    def is_open(self):
        return self.state == self.State.OPEN

    def age_days(self, now=None):
        """Whole days since it was filed (0 on the day)."""
        now = now or timezone.now()
        return max((timezone.localdate(now) - timezone.localdate(self.filed_at)).days, 0)
