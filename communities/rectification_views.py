"""Rectification (整改) on the grid leader's phone: docs/rectification.md.

GET  /communities/rectifications/?grid=<id>   open rectifications of the user's households
                                              (the earliest due first), and the year's figures
GET  /communities/rectifications/export.xlsx?year=
                                              every rectification of the year's deductions
                                              of the user's households (pinghu_points/exports)
GET  /communities/rectifications/<id>/        the re-inspection page of one rectification
POST the same URL (result, note, photo)       record the re-inspection (once)

Households come from `accounts.scope.households_scorable_by`; the rules live in
`communities.services.rectification_inspect`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.scope import households_scorable_by
from pinghu_points.exports import xlsx_response
from pinghu_points.formatting import plain_points
from pinghu_points.parameters import parse_year

from . import exports, selectors, services
from .models import MicroGrid, Rectification, RectificationInspection


def _require_scorer(user):
    if not user.may_score:
        raise PermissionDenied(_("只有社区工作人员可以复查整改"))


def refund_text(item):
    """What on-time rectification earns back under `item`, in words."""
    percent = item.rectify_refund_percent
    if percent == 0:
        return _("按期整改不返还扣分")
    if percent == 100:
        return _("按期整改返还全部扣分")
    return _("按期整改返还扣分的 %(percent)s%%") % {"percent": percent}


@login_required
def rectification_list(request):
    user = request.user
    _require_scorer(user)
    today = timezone.localdate()
    households = households_scorable_by(user)
    grids = list(
        MicroGrid.objects.filter(pk__in=households.values("micro_grid_id"))
        .select_related("community")
        .order_by("community__code", "code")
    )
    grid = next((g for g in grids if str(g.pk) == request.GET.get("grid", "")), None)
    if grid is not None:
        households = households.filter(micro_grid=grid)
    rows = list(selectors.open_rectifications(households=households))
    for rectification in rows:
        rectification.overdue = rectification.due_on < today
    figures = selectors.rectification_statistics(
        households=households_scorable_by(user), year=today.year, today=today
    )
    grid_names = {g.pk: g for g in grids}
    community_names = {g.community_id: g.community for g in grids}
    return render(
        request,
        "communities/rectification_list.html",
        {
            "rows": rows,
            "grids": grids,
            "grid": grid,
            "today": today,
            "year": today.year,
            "total": figures["total"],
            "grid_figures": [
                (grid_names[pk], value)
                for pk, value in figures["grids"].items()
                if pk in grid_names
            ],
            # Per community only when there are several (one community's row is the total).
            "community_figures": [
                (community_names[pk], value)
                for pk, value in figures["communities"].items()
                if pk in community_names
            ]
            if len(figures["communities"]) > 1
            else [],
        },
    )


@login_required
def rectification_inspect(request, pk):
    user = request.user
    _require_scorer(user)
    rectification = get_object_or_404(
        Rectification.objects.filter(household__in=households_scorable_by(user)).select_related(
            "household__cooperative", "deduction__item"
        ),
        pk=pk,
    )
    error = None
    if request.method == "POST":
        try:
            inspection = services.rectification_inspect(
                actor=user,
                rectification=rectification,
                result=request.POST.get("result", ""),
                note=request.POST.get("note", ""),
                photo=request.FILES.get("photo"),
            )
        except ValidationError as refused:
            error = refused.messages[0]
        else:
            household = rectification.household
            if inspection.earn_back is not None:
                messages.success(
                    request,
                    _("已记录复查：%(household)s，返还 %(points)s 分")
                    % {
                        "household": f"{household.number} {household.head_name}",
                        "points": plain_points(inspection.earn_back.points),
                    },
                )
            else:
                messages.success(
                    request,
                    _("已记录复查：%(household)s")
                    % {"household": f"{household.number} {household.head_name}"},
                )
            return redirect(reverse("communities:rectification_list"))
    deduction = rectification.deduction
    return render(
        request,
        "communities/rectification_inspect.html",
        {
            "rectification": rectification,
            "deduction": deduction,
            "deduction_points": plain_points(-deduction.points),
            "inspection": rectification.inspection_or_none,
            "overdue": rectification.due_on < timezone.localdate(),
            "refund_text": refund_text(deduction.item),
            "results": RectificationInspection.Result.choices,
            "chosen": request.POST.get("result", ""),
            "note": request.POST.get("note", ""),
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
@require_GET
def rectification_export(request):
    user = request.user
    _require_scorer(user)
    today = timezone.localdate()
    year = parse_year(request.GET.get("year")) or today.year
    sheet = exports.rectifications_sheet(
        rectifications=selectors.rectifications_of(
            households=households_scorable_by(user), year=year
        ),
        user=user,
        today=today,
        year=year,
    )
    return xlsx_response(
        filename=_("整改-%(year)s-%(day)s.xlsx") % {"year": year, "day": today.isoformat()},
        sheets=[sheet],
    )
