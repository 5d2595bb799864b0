"""The rectifications download (整改): one sheet, written by `pinghu_points.exports`."""

from django.utils.translation import gettext as _

from accounts.scope import sees_staff_names
from pinghu_points.exports import Column, Sheet

from .selectors import rectification_state


def rectifications_sheet(*, rectifications, user, today, year):
    """Every rectification in `rectifications` (already scoped, live ones): the household,
    the deduction, the due date, where it stands, the re-inspection and what it earned back."""
    columns = [
        Column(_("社区"), width=12),
        Column(_("微网格"), width=12),
        Column(_("户号"), "identifier", 10),
        Column(_("户主"), width=10),
        Column(_("扣分项目"), width=16),
        Column(_("扣分日期"), width=12),
        Column(_("扣分"), "score", 8),
        Column(_("扣分说明"), width=24),
        Column(_("整改期限"), width=12),
        Column(_("状态"), width=14),
        Column(_("复查日期"), width=12),
        Column(_("复查人"), width=12),
        Column(_("复查备注"), width=24),
        Column(_("返还分"), "score", 8),
    ]
    names = sees_staff_names(user)
    rows = []
    for rectification in rectifications:
        household, deduction = rectification.household, rectification.deduction
        inspection = rectification.inspection_or_none
        inspector = inspection.inspector if inspection else None
        earn_back = inspection.earn_back if inspection else None
        rows.append(
            [
                household.community.name,
                household.micro_grid.name if household.micro_grid else "",
                household.number,
                household.head_name,
                deduction.item.name,
                deduction.occurred_on.isoformat(),
                deduction.points,
                deduction.note,
                rectification.due_on.isoformat(),
                rectification_state(rectification, today=today)[1],
                inspection.inspected_on.isoformat() if inspection else "",
                (inspector.get_full_name() or inspector.get_username())
                if inspector and names
                else "",
                inspection.note if inspection else "",
                earn_back.points if earn_back else None,
            ]
        )
    who = user.get_full_name() or user.get_username() if names else ""
    return Sheet(
        title=_("整改"),
        columns=columns,
        rows=rows,
        preamble=[
            _("%(year)s 年扣分的整改") % {"year": year},
            _("导出时间 %(day)s %(who)s") % {"day": today.isoformat(), "who": who},
        ],
    )
