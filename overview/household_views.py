"""The register's household pages (股东户): the household list with this year's score and
a household's page with its members, shares, 议事 and 整改. They read villages,
communities and matters, so they live here; their URLs stay in the `villages` namespace
(pinghu_points/urls.py adds them to it)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from accounts.lookup_limits import LookupRefused
from accounts.scope import (
    households_login_keepable_by,
    households_payable_by,
    households_scorable_by,
    households_visible_to,
)
from communities import selectors as points
from matters.selectors import household_matters
from pinghu_points.parameters import parse_id
from villages import selectors, services
from villages.models import Household


@login_required
def household_list(request):
    if request.user.is_villager:
        raise PermissionDenied
    households = households_visible_to(request.user).select_related(
        "cooperative", "community", "micro_grid"
    )
    grid = request.GET.get("grid", "").strip()
    if grid:
        grid_id = parse_id(grid)
        if grid_id is None:
            raise Http404
        households = households.filter(micro_grid_id=grid_id)
    query = request.GET.get("q", "").strip()
    refusal = None
    try:
        households = services.household_search(
            user=request.user, households=households, query=query
        )
    except LookupRefused as refused:
        refusal, households = refused.refusal, households.none()
    page = Paginator(households.order_by("cooperative__code", "number"), 50).get_page(
        request.GET.get("page")
    )
    # Each row shows this year's score (the phone row's figure): a few queries for the page.
    year = timezone.localdate().year
    page.object_list = points.with_annual_scores(page.object_list, year=year)
    response = render(
        request,
        "villages/household_list.html",
        {"page": page, "query": query, "grid": grid, "year": year, "refusal": refusal},
        status=429 if refusal else 200,
    )
    if refusal:
        response["Retry-After"] = str(refusal.retry_after)
    return response


@login_required
def household_detail(request, pk):
    household = get_object_or_404(
        households_visible_to(request.user).select_related(
            "cooperative", "community", "micro_grid"
        ),
        pk=pk,
    )
    can_manage = households_payable_by(request.user).filter(pk=pk).exists()
    today = timezone.localdate()
    rectifications = list(points.rectifications_of(households=Household.objects.filter(pk=pk)))
    for rectification in rectifications:
        rectification.state_key, rectification.state_label = points.rectification_state(
            rectification, today=today
        )
    return render(
        request,
        "villages/household_detail.html",
        {
            "household": household,
            "members": household.members.all(),
            "holdings": list(
                selectors.household_holdings(household=household, on=timezone.localdate()).items()
            ),
            "ledger": selectors.household_share_ledger(household=household),
            "can_manage": can_manage,
            "can_keep_login": households_login_keepable_by(request.user).filter(pk=pk).exists(),
            # 议事 and 整改 of the household (issue 25, point 5): the matters the user may
            # open, the rectifications whoever sees the household sees (as on the card).
            "matters": list(household_matters(household=household, user=request.user)[:50]),
            "rectifications": rectifications,
            "may_inspect": households_scorable_by(request.user).filter(pk=pk).exists(),
        },
    )
