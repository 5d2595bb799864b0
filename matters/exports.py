"""The matters download (议事事项): one sheet, written by `pinghu_points.exports`."""

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import sees_staff_names
from pinghu_points.exports import Column, Sheet


def _yes_no(value):
    if value is None:
        return ""
    return _("是") if value else _("否")


def matters_sheet(*, matters, user, today):
    """Every matter in `matters` (already scoped): where, what, who raised it, how far it
    went, when it is due, whether it is overdue or was reported back on time, and the
    villager's word."""
    columns = [
        Column(_("编号"), "number", 8),
        Column(_("社区"), width=12),
        Column(_("微网格"), width=12),
        Column(_("地点"), width=16),
        Column(_("事项内容"), width=40),
        Column(_("提出户"), "identifier", 10),
        Column(_("户主"), width=10),
        Column(_("收集时间"), width=18),
        Column(_("状态"), width=12),
        Column(_("研判说明"), width=24),
        Column(_("合并到"), "number", 8),
        Column(_("承办"), width=16),
        Column(_("办理期限"), width=12),
        Column(_("逾期"), width=6),
        Column(_("办理结果"), width=30),
        Column(_("按期反馈"), width=8),
        Column(_("村民评价已解决"), width=10),
    ]
    rows = []
    for matter in matters.select_related(
        "micro_grid__community", "household", "assignee_community"
    ):
        household = matter.household
        rows.append(
            [
                matter.pk,
                matter.micro_grid.community.name,
                matter.micro_grid.name,
                matter.place,
                matter.text,
                household.number if household else "",
                household.head_name if household else "",
                timezone.localtime(matter.recorded_at).strftime("%Y-%m-%d %H:%M"),
                matter.get_state_display(),
                matter.decline_reason,
                matter.merged_into_id,
                matter.assignee_label,
                matter.due_on.isoformat() if matter.due_on else "",
                _yes_no(matter.is_overdue(today)) if matter.due_on else "",
                matter.result,
                _yes_no(matter.on_time),
                _yes_no(matter.solved),
            ]
        )
    who = user.get_full_name() or user.get_username() if sees_staff_names(user) else ""
    return Sheet(
        title=_("议事事项"),
        columns=columns,
        rows=rows,
        preamble=[
            _("议事事项（连心议站）"),
            _("导出时间 %(day)s %(who)s") % {"day": today.isoformat(), "who": who},
        ],
    )
