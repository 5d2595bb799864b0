"""Monthly points chart (美丽积分图) of one micro-grid or one whole community.

Households × months, as a line chart, as a table and as CSV, with the list of
households that stayed below a threshold for N months in a row up to the latest
month: the grid leader's visit list. Scores come from `selectors.monthly_scores`
(set-based), so the page costs the same number of queries for 5 or 500 households.

Scope: community staff see the grids and communities in `communities_visible_to`
and only households from `households_visible_to`; subdistrict admins see all;
everyone else gets 403. A grid or community outside scope is a 404.
"""

import csv
from decimal import Decimal

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.scope import communities_visible_to, households_visible_to
from pinghu_points.exports import csv_row, safe_filename
from pinghu_points.formatting import plain_points, points_number
from pinghu_points.months import months_of_year
from pinghu_points.parameters import FIRST_YEAR

from . import chart_presenters, selectors
from .models import MicroGrid

DEFAULT_THRESHOLD = Decimal("60")
DEFAULT_MONTHS = 3


def today():
    """The local date; a function so tests can pin it."""
    return timezone.localdate()


class ChartParamsForm(forms.Form):
    year = forms.IntegerField(
        label=gettext_lazy("年度"),
        required=False,
        error_messages={"invalid": gettext_lazy("年度须为整数，例如 2026")},
    )
    grid = forms.IntegerField(
        required=False,
        min_value=1,
        error_messages={
            "invalid": gettext_lazy("网格编号无效，请从列表中选择网格"),
            "min_value": gettext_lazy("网格编号无效，请从列表中选择网格"),
        },
    )
    community = forms.IntegerField(
        required=False,
        min_value=1,
        error_messages={
            "invalid": gettext_lazy("社区编号无效，请从列表中选择社区"),
            "min_value": gettext_lazy("社区编号无效，请从列表中选择社区"),
        },
    )
    threshold = forms.DecimalField(
        label=gettext_lazy("低分线"),
        required=False,
        min_value=0,
        max_digits=5,
        decimal_places=1,
        error_messages={
            "invalid": gettext_lazy("低分线须为数字，例如 60"),
            "min_value": gettext_lazy("低分线不能为负数"),
            "max_digits": gettext_lazy("低分线须为 0 到 9999.9 之间的数字"),
            "max_whole_digits": gettext_lazy("低分线须为 0 到 9999.9 之间的数字"),
            "max_decimal_places": gettext_lazy("低分线最多保留 1 位小数"),
        },
    )
    months = forms.IntegerField(
        label=gettext_lazy("连续月数"),
        required=False,
        min_value=1,
        max_value=12,
        error_messages={
            "invalid": gettext_lazy("连续月数须为 1 到 12 之间的整数"),
            "min_value": gettext_lazy("连续月数须为 1 到 12 之间的整数"),
            "max_value": gettext_lazy("连续月数须为 1 到 12 之间的整数"),
        },
    )
    format = forms.ChoiceField(
        required=False,
        choices=[("", "html"), ("html", "html"), ("csv", "csv")],
        error_messages={"invalid_choice": gettext_lazy("只能下载 CSV 格式")},
    )

    def __init__(self, *args, current_year, **kwargs):
        super().__init__(*args, **kwargs)
        self.current_year = current_year

    def clean_year(self):
        year = self.cleaned_data["year"]
        if year is None:
            return self.current_year
        if not FIRST_YEAR <= year <= self.current_year:
            raise forms.ValidationError(
                _("年度须在 %(first)s 到 %(last)s 之间")
                % {"first": FIRST_YEAR, "last": self.current_year}
            )
        return year

    def clean_threshold(self):
        threshold = self.cleaned_data["threshold"]
        return DEFAULT_THRESHOLD if threshold is None else threshold

    def clean_months(self):
        months = self.cleaned_data["months"]
        return DEFAULT_MONTHS if months is None else months

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("grid") and cleaned.get("community"):
            raise forms.ValidationError(_("请只选择一个网格或一个社区"))
        return cleaned


def _may_use_chart(user):
    return user.may_score


def _query(params, **changes):
    merged = {key: value for key, value in {**params, **changes}.items() if value not in (None, "")}
    return "?" + urlencode(merged)


def _picker(request, *, params):
    """The user's communities and their micro-grids, with household counts."""
    communities = selectors.chart_picker_communities(user=request.user)
    base = {key: params[key] for key in ("year", "threshold", "months")}
    entries = [
        {
            "community": community,
            "url": _query(base, community=community.pk),
            "grids": [
                {"grid": grid, "url": _query(base, grid=grid.pk)}
                for grid in community.micro_grids.all()
            ],
        }
        for community in communities
    ]
    return render(
        request,
        "communities/chart.html",
        {"picker": entries, "params": params, "year": params["year"]},
    )


def _csv(*, rows, averages, labels, average_label, filename):
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )
    response.write("\ufeff")  # so that Excel opens the Chinese text as UTF-8
    # Text through `csv_row` (a name starting with = + - @ gets a `'` in front); points
    # as numbers ("82.5", "-25"), which no spreadsheet reads as a formula.
    writer = csv.writer(response)
    writer.writerow(
        csv_row(
            [_("户号"), _("户主"), _("合作社"), _("微网格"), *labels, _("变化"), _("连续低分月数")]
        )
    )
    for row in rows:
        household = row["household"]
        writer.writerow(
            csv_row(
                [
                    household.number,
                    household.head_name,
                    household.cooperative.name,
                    household.micro_grid.name if household.micro_grid else "",
                    *[points_number(cell["score"]) for cell in row["cells"]],
                    points_number(row["change"]),
                    row["streak"] or "",
                ]
            )
        )
    if averages:
        writer.writerow(
            csv_row(["", average_label, "", "", *[points_number(v) for v in averages], "", ""])
        )
    return response


@require_GET
@login_required
def points_chart(request):
    if not _may_use_chart(request.user):
        raise PermissionDenied
    now = today()
    form = ChartParamsForm(request.GET, current_year=now.year)
    if not form.is_valid():
        raw = {key: request.GET.get(key, "") for key in ("grid", "community")}
        defaults = {
            "year": now.year,
            "threshold": plain_points(DEFAULT_THRESHOLD),
            "months": DEFAULT_MONTHS,
        }
        values = {key: request.GET.get(key) or default for key, default in defaults.items()}
        return render(
            request,
            "communities/chart.html",
            {
                "form": form,
                "raw": raw,
                "values": values,
                "picker_url": reverse("communities:points_chart"),
            },
            status=400,
        )
    params = form.cleaned_data
    year, threshold, months = params["year"], params["threshold"], params["months"]
    if not params["grid"] and not params["community"]:
        return _picker(request, params=params)

    communities = communities_visible_to(request.user)
    visible = households_visible_to(request.user)
    if params["grid"]:
        grid = get_object_or_404(
            MicroGrid.objects.select_related("community").filter(community__in=communities),
            pk=params["grid"],
        )
        community = grid.community
        households = visible.filter(micro_grid=grid)
        subject = f"{community.name} · {grid.name}"
        average_label = _("网格平均")
        file_key = f"grid-{grid.community.code}-{grid.code}"
    else:
        grid = None
        community = get_object_or_404(communities, pk=params["community"])
        households = visible.filter(community=community)
        subject = community.name
        average_label = _("社区平均")
        file_key = f"community-{community.code}"

    through_month = months_of_year(year, today=now)
    labels = [_("%(month)s月") % {"month": month} for month in range(1, through_month + 1)]
    rows, averages, low, without_standard = selectors.points_chart_rows(
        households=households,
        year=year,
        through_month=through_month,
        threshold=threshold,
        months=months,
    )
    if params["format"] == "csv":
        return _csv(
            rows=rows,
            averages=averages,
            labels=labels,
            average_label=average_label,
            filename=safe_filename(f"points-chart-{year}-{file_key}.csv"),
        )
    query = {
        "year": year,
        "threshold": threshold,
        "months": months,
        "grid": grid.pk if grid else None,
        "community": None if grid else community.pk,
    }
    return render(
        request,
        "communities/chart.html",
        {
            "form": form,
            "grid": grid,
            "community": community,
            "subject": subject,
            "year": year,
            "threshold": threshold,
            "values": {"year": year, "threshold": plain_points(threshold), "months": months},
            "months": months,
            "through_month": through_month,
            "labels": labels,
            "average_label": average_label,
            "low": low,
            "without_standard": without_standard,
            "csv_url": _query(query, format="csv"),
            "picker_url": _query({"year": year, "threshold": threshold, "months": months}),
            "community_url": _query(query, grid=None, community=community.pk) if grid else "",
            **chart_presenters.chart_display(
                rows=rows,
                averages=averages,
                labels=labels,
                threshold=threshold,
                average_label=average_label,
            ),
        },
    )
