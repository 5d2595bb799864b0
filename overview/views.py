"""The subdistrict overview (街道总览, docs/overview.md): linkage matrix, statistics,
红黑榜 and cooperative overview, each with its xlsx download.

Scope: every page reads through `accounts.scope` via `selectors`. The matrix and
statistics are for everyone but villagers (staff: their communities, accountants and
supervisors: their cooperative, admin: all). The 红黑榜 is for community staff and the
admin; a villager sees only the published 红榜 of their own community. The cooperative
overview is for those who read dividend runs (`cooperatives_signed_by`).
"""

from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.scope import communities_visible_to, cooperatives_signed_by
from awards.selectors import approved_awards
from communities import services
from pinghu_points.exports import xlsx_response
from pinghu_points.months import is_year_shown, months_of_year, years_shown
from pinghu_points.parameters import YearFormField
from villages.models import mask_name

from . import selectors
from . import sheets as overview_sheets


def today():
    """The local date; a function so tests can pin it."""
    return timezone.localdate()


class PeriodForm(forms.Form):
    year = YearFormField(required=False)
    month_from = forms.IntegerField(required=False, min_value=1, max_value=12)
    month_to = forms.IntegerField(required=False, min_value=1, max_value=12)
    month = forms.IntegerField(required=False, min_value=1, max_value=12)
    community = forms.IntegerField(required=False, min_value=1)

    def clean_year(self):
        """A year still to come has nothing to show: the page shows this year (the other
        choices of the query stay)."""
        year = self.cleaned_data["year"]
        return year if year is None or is_year_shown(year, today=today()) else None


def _period(request):
    """(year, month_from, month_to, month, community id) from the query, defaults filled."""
    form = PeriodForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    now = today()
    year = data.get("year") or now.year
    last = months_of_year(year, today=now)
    month_from = data.get("month_from") or 1
    month_to = data.get("month_to") or last
    if month_from > month_to:
        month_from, month_to = month_to, month_from
    month = data.get("month") or last
    return year, month_from, month_to, month, data.get("community")


def _town(request):
    """The town (镇/街道) of `?town=` in the user's scope, None without one: a town's own
    overview (docs/towns.md). A town outside the scope is not there (404)."""
    value = request.GET.get("town", "")
    if not value:
        return None
    if not value.isdigit():
        raise Http404
    return get_object_or_404(selectors.towns_visible_to(request.user), pk=int(value))


def _town_suffix(town):
    return f"-{town.code}" if town is not None else ""


def _require_reader(user):
    """Matrix and statistics: everyone but villagers (scope narrows the rest)."""
    if not user.may_read_overview:
        raise PermissionDenied


def _years():
    return years_shown(today=today())


# --- Linkage matrix ----------------------------------------------------------------------


@login_required
def matrix(request):
    _require_reader(request.user)
    year = _period(request)[0]
    town = _town(request)
    data = selectors.linkage_matrix(user=request.user, year=year, today=today(), town=town)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=f"linkage-matrix-{data.year}{_town_suffix(town)}.xlsx",
            sheets=overview_sheets.matrix_sheets(data),
        )
    return render(
        request,
        "overview/matrix.html",
        {
            "matrix": data,
            "heat_rows": _heat_rows(data),
            "year": year,
            "years": _years(),
            "town": town,
        },
    )


# The heat map's bands of a cell's mean annual score; below 60 is the points chart's
# "persistently low" line. (lower edge, css class), highest first.
HEAT_BANDS = (
    (Decimal("100"), "heat-high"),
    (Decimal("80"), "heat-good"),
    (Decimal("60"), "heat-mid"),
)


def _heat_band(cell):
    if cell is None:
        return "heat-empty"
    if cell.average is None:
        return "heat-none"
    return next((css for edge, css in HEAT_BANDS if cell.average >= edge), "heat-low")


def _heat_rows(matrix):
    """[(village, [(cell or None, css class)])]: the matrix as a heat map of 均分."""
    return [
        (village, [(cell, _heat_band(cell)) for cell in cells])
        for village, cells, _total in matrix.rows()
    ]


@login_required
def matrix_cell(request, village_id, community_id):
    _require_reader(request.user)
    households = selectors.matrix_cell_households(
        user=request.user, village_id=village_id, community_id=community_id
    )
    if households is None:  # outside the user's scope: not there, as everywhere
        raise Http404
    year = _period(request)[0]
    page = Paginator(households, 50).get_page(request.GET.get("page"))
    figures = selectors.household_year_figures(households=list(page), year=year)
    rows = [(household, *figures[household.pk]) for household in page]
    return render(
        request,
        "overview/matrix_cell.html",
        {
            "page": page,
            "rows": rows,
            "year": year,
            "village_id": village_id,
            "community_id": community_id,
        },
    )


# --- Statistics --------------------------------------------------------------------------


@login_required
def statistics(request):
    _require_reader(request.user)
    year, month_from, month_to, _month, _community = _period(request)
    town = _town(request)
    data = selectors.statistics(
        user=request.user, year=year, month_from=month_from, month_to=month_to, town=town
    )
    rectifications = selectors.statistics_rectifications(
        user=request.user, year=year, month_from=month_from, month_to=month_to, today=today()
    )
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=f"statistics-{year}-{month_from:02d}-{month_to:02d}{_town_suffix(town)}.xlsx",
            sheets=overview_sheets.statistics_sheets(data, year, rectifications),
        )
    chart_data = {
        "categories": {
            "labels": [row["label"] for row in data["categories"]],
            "events": [row["events"] for row in data["categories"]],
            "points": [str(row["points"]) for row in data["categories"]],
        },
        "trend": {
            "labels": [_("%(month)s月") % {"month": row["month"]} for row in data["trend"]],
            "events": [row["events"] for row in data["trend"]],
            "points": [str(row["points"]) for row in data["trend"]],
        },
        "histogram": {
            "labels": [row["label"] for row in data["histogram"]],
            "counts": [row["count"] for row in data["histogram"]],
        },
        "text": {
            "events": _("记录数"),
            "points": _("净积分"),
            "households": _("户数"),
        },
    }
    return render(
        request,
        "overview/statistics.html",
        {
            "stats": data,
            "rectifications": rectifications,
            "rectification_tables": _rectification_tables(rectifications),
            "chart_data": chart_data,
            "year": year,
            "month_from": month_from,
            "month_to": month_to,
            "years": _years(),
            "months": range(1, 13),
            "town": town,
        },
    )


def _rectification_tables(figures):
    """[(title, [(name, RectificationFigures)])]: per town (only when there are several),
    per community and per micro-grid (named with its community)."""
    return [
        (_("按镇（街道）"), figures["towns"] if len(figures["towns"]) > 1 else []),
        (_("按社区"), [(community.name, f) for community, f in figures["communities"]]),
        (
            _("按微网格"),
            [(f"{grid.community.name} · {grid.name}", f) for grid, f in figures["grids"]],
        ),
    ]


# --- 红黑榜 ---------------------------------------------------------------------------------


@login_required
def honor_roll(request):
    user = request.user
    year, _from, _to, month, community_id = _period(request)
    first = date(year, month, 1)
    # Without a chosen month: the latest month that has points, not an empty current one.
    opens_on_latest = not (request.GET.get("year") or request.GET.get("month"))
    if user.is_villager:
        # Only the villager's own community, only the 红榜, only when published.
        community = user.household.community
        if community_id and community_id != community.pk:
            raise Http404
        if opens_on_latest:
            first = selectors.honor_roll_latest_month(community=community, today=today())
        red, black = selectors.honor_roll(community=community, month=first)
        rows = [
            {"name": mask_name(row["household"].head_name), "points": row["points"]} for row in red
        ]
        return render(
            request,
            "overview/honor_roll_villager.html",
            {
                "community": community,
                "month": first,
                "published": community.honor_roll_published,
                "published_on": selectors.honor_roll_published_on(community=community),
                "is_latest": opens_on_latest,
                "rows": rows if community.honor_roll_published else [],
            },
        )
    if not user.may_read_honor_roll:
        raise PermissionDenied
    town = _town(request)
    communities = communities_visible_to(user)
    if town is not None:
        communities = communities.filter(town=town)
    communities = list(communities.order_by("code"))
    if community_id:
        community = next((c for c in communities if c.pk == community_id), None)
        if community is None:
            raise Http404
    else:
        community = communities[0] if communities else None
    red = black = []
    if community is not None and opens_on_latest:
        first = selectors.honor_roll_latest_month(community=community, today=today())
        year, month = first.year, first.month
    if community is not None:
        red, black = selectors.honor_roll(community=community, month=first)
    if community is not None and request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=f"honor-roll-{community.code}-{first:%Y-%m}.xlsx",
            sheets=overview_sheets.honor_roll_sheets(red, black),
        )
    return render(
        request,
        "overview/honor_roll.html",
        {
            "communities": communities,
            "community": community,
            "month": first,
            "year": year,
            "month_number": month,
            "town": town,
            "years": _years(),
            "months": range(1, 13),
            "lists": [(_("红榜"), red, "honor-red"), (_("黑榜"), black, "honor-black")],
        },
    )


@login_required
@require_POST
def honor_roll_setting(request, community_id):
    user = request.user
    if not user.may_score:
        raise PermissionDenied
    community = get_object_or_404(communities_visible_to(user), pk=community_id)
    published = request.POST.get("published") == "1"
    services.community_set_honor_roll_published(
        actor=user, community=community, published=published
    )
    messages.success(
        request,
        _("%(community)s 的红榜已向村民公布") % {"community": community}
        if published
        else _("%(community)s 的红榜已停止向村民公布") % {"community": community},
    )
    return redirect(f"{reverse('overview:honor_roll')}?community={community.pk}")


# --- Cooperative overview ----------------------------------------------------------------


FIGURE_LABELS = {
    "total": gettext_lazy("可分配总额"),
    "base_pool": gettext_lazy("基本股分红池"),
    "incentive_pool": gettext_lazy("积分激励池"),
    "base_paid": gettext_lazy("实发基本股分红"),
    "incentive_paid": gettext_lazy("实发积分激励"),
    "remainder": gettext_lazy("留存（美丽基金）"),
}


@login_required
def cooperatives(request):
    user = request.user
    if not user.may_read_runs:
        raise PermissionDenied
    year = _period(request)[0]
    town = _town(request)
    data = selectors.cooperative_overview(user=user, year=year, town=town)
    # Awards paid per village and period this year (approved award runs), and the fund's
    # remainder: the same scope as the dividends (docs/awards.md, "Overview").
    signed = cooperatives_signed_by(user)
    if town is not None:
        signed = signed.filter(village__town=town)
    awards = approved_awards(cooperatives=signed, year=year)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=f"cooperatives-{year}{_town_suffix(town)}.xlsx",
            sheets=overview_sheets.cooperative_sheets(data, year, FIGURE_LABELS)
            + overview_sheets.award_sheets(awards),
        )
    table = [
        {
            "cooperative": row["cooperative"],
            "current": row["current"] and row["current"]["run"],
            "previous": row["previous"] and row["previous"]["run"],
            "figures": [
                (
                    label,
                    row["current"] and row["current"][name],
                    row["previous"] and row["previous"][name],
                    row["change"][name],
                )
                for name, label in FIGURE_LABELS.items()
            ],
        }
        for row in data["rows"]
    ]
    totals = [
        (label, *(data["totals"][key][name] for key in ("current", "previous", "change")))
        for name, label in FIGURE_LABELS.items()
    ]
    return render(
        request,
        "overview/cooperatives.html",
        {
            "table": table,
            "totals": totals,
            "year": year,
            "years": _years(),
            "awards": awards,
            "town": town,
        },
    )


# --- City overview (towns side by side) ----------------------------------------------------


TOWN_FIGURE_LABELS = {
    "households": gettext_lazy("股东户"),
    "scored_percent": gettext_lazy("已计分户占比（%）"),
    "average": gettext_lazy("平均年度积分"),
    "events": gettext_lazy("本年度有效记录"),
    "months_not_closed": gettext_lazy("未关账月数"),
    "runs_computed": gettext_lazy("分红方案待审批"),
    "runs_approved": gettext_lazy("分红方案已审批"),
    "runs_paid": gettext_lazy("分红已发放"),
    "base_paid": gettext_lazy("实发基本股分红"),
    "incentive_paid": gettext_lazy("实发积分激励"),
    "remainder": gettext_lazy("留存（美丽基金）"),
}


def town_figures(row):
    """{figure: value} of a `selectors.TownRow`, in `TOWN_FIGURE_LABELS`' order."""
    return {
        "households": row.cell.households,
        "scored_percent": row.cell.scored_percent,
        "average": row.cell.average,
        "events": row.events,
        "months_not_closed": row.months_not_closed,
        "runs_computed": row.runs_computed,
        "runs_approved": row.runs_approved,
        "runs_paid": row.runs_paid,
        "base_paid": row.base_paid,
        "incentive_paid": row.incentive_paid,
        "remainder": row.remainder,
    }


@login_required
def towns(request):
    if not request.user.may_read_towns:
        raise PermissionDenied
    year = _period(request)[0]
    data = selectors.town_overview(user=request.user, year=year, today=today())
    rows = [(row.town, town_figures(row)) for row in data["rows"]]
    total = town_figures(data["total"])
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename=f"towns-{year}.xlsx",
            sheets=overview_sheets.town_sheets(rows, total, TOWN_FIGURE_LABELS),
        )
    chart_data = {
        "towns": {
            "labels": [town.name for town, _figures in rows],
            "scored": [str(figures["scored_percent"] or 0) for _town, figures in rows],
            "average": [str(figures["average"] or 0) for _town, figures in rows],
        },
        "text": {"scored": _("已计分户占比（%）"), "average": _("平均年度积分")},
    }
    return render(
        request,
        "overview/towns.html",
        {
            "rows": rows,
            "total": total,
            "labels": TOWN_FIGURE_LABELS,
            "chart_data": chart_data,
            "months_year": today().year,
            "year": year,
            "years": _years(),
        },
    )
