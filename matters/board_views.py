"""The 议站 board and the 连心标兵 figures (docs/matters.md, "The board").

GET /matters/board/                       the boards the user may print: their communities
                                          and micro-grids, with the year's figures
GET /matters/board/?grid=<id>|community=<id>&year=
                                          one board, ready to print, with its QR code
GET /matters/board/p/<token>/             the same board through the QR code, without login
                                          (signed link, `matters.board`); counts only
GET /matters/leaders/?since=YYYY-MM&sort= the 连心标兵 figures of the grid leaders

Scope: a board of a grid the user manages (`accounts.scope.micro_grids_managed_by`) or of a
community they see (`communities_visible_to`); another one answers 404. The leader figures:
the admin the town's, staff their communities'. Villagers, accountants, supervisors and the
bank have neither page (403).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.scope import communities_visible_to
from communities.models import Community, MicroGrid
from pinghu_points.months import first_of_month, months_back, parse_month
from pinghu_points.parameters import parse_id, parse_year
from pinghu_points.qr import notice_qr_svg

from . import board, selectors
from .board_presenter import board_row, board_rows, leader_headers, leader_rows
from .selectors import BoardFigures


def _desk_user(user):
    if not user.may_score:
        raise PermissionDenied


def _board_context(*, kind, subject, year):
    """The board of one grid or community: its figures and, for a community, each grid's."""
    if kind == "grid":
        grids = [subject]
        title = f"{subject.community.name} · {subject.name}"
    else:
        grids = list(subject.micro_grids.order_by("code"))
        title = subject.name
    figures = selectors.board_figures(
        grids=MicroGrid.objects.filter(pk__in=[grid.pk for grid in grids]), year=year
    )
    return {
        "kind": kind,
        "title": title,
        "year": year,
        "total": board_row(title, figures["total"]),
        "rows": board_rows(grids=grids, figures=figures) if kind == "community" else [],
    }


def _subject(kind, pk, *, grids=None, communities=None):
    if kind == "grid":
        queryset = grids if grids is not None else MicroGrid.objects.all()
        return get_object_or_404(queryset.select_related("community"), pk=pk)
    queryset = communities if communities is not None else Community.objects.all()
    return get_object_or_404(queryset, pk=pk)


@login_required
@require_GET
def board_page(request):
    user = request.user
    _desk_user(user)
    today = board.today()
    year = parse_year(request.GET.get("year")) or today.year
    grids = selectors.board_grids_visible_to(user)
    communities = communities_visible_to(user)
    grid_id, community_id = (
        parse_id(request.GET.get("grid")),
        parse_id(request.GET.get("community")),
    )
    if grid_id or community_id:
        kind = "grid" if grid_id else "community"
        subject = _subject(kind, grid_id or community_id, grids=grids, communities=communities)
        context = _board_context(kind=kind, subject=subject, year=year)
        url = request.build_absolute_uri(
            reverse(
                "matters:board_public",
                args=[board.public_token(kind=kind, pk=subject.pk, on=today)],
            )
        )
        context.update(
            public=False,
            public_url=url,
            qr_svg=notice_qr_svg(url),
            until=board.link_until(today),
            today=today,
        )
        return render(request, "matters/board.html", context)
    figures = selectors.board_figures(grids=grids, year=year)
    grids = list(grids.order_by("community__code", "code"))
    visible = set(communities.values_list("pk", flat=True))
    # A grid leader who is no staff of the grid's community sees their grids' boards under
    # the community's name, without the community's own board.
    shown = []
    for community in Community.objects.filter(
        Q(pk__in=visible) | Q(pk__in={grid.community_id for grid in grids})
    ).order_by("code"):
        own = [grid for grid in grids if grid.community_id == community.pk]
        shown.append(
            {
                "community": community,
                "may_open": community.pk in visible,
                "row": board_row(
                    community.name, figures["communities"].get(community.pk, BoardFigures())
                ),
                "grids": list(zip(own, board_rows(grids=own, figures=figures), strict=True)),
            }
        )
    return render(
        request,
        "matters/board_index.html",
        {"year": year, "communities": shown, "total": board_row("", figures["total"])},
    )


@never_cache
@require_GET
def board_public(request, token):
    """The QR link: the board's counts for this year, while the link lasts; else 404."""
    found = board.scope_from_token(token)
    if found is None:
        raise Http404
    kind, pk = found
    today = board.today()
    context = _board_context(kind=kind, subject=_subject(kind, pk), year=today.year)
    context.update(public=True, today=today)
    response = render(request, "matters/board.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_GET
def leader_page(request):
    user = request.user
    _desk_user(user)
    today = board.today()
    choices = months_back(today, 13)[1:]  # the last twelve months before this one
    since = parse_month(request.GET.get("since"))
    if since not in choices:
        since = choices[2]  # three months ago
    sort = request.GET.get("sort", "")
    figures = selectors.leader_figures(
        grids=selectors.leader_grids_visible_to(user), since=since, today=today
    )
    return render(
        request,
        "matters/leaders.html",
        {
            "since": since,
            "choices": choices,
            "this_month": first_of_month(today),
            "headers": leader_headers(sort=sort),
            "rows": leader_rows(figures, sort=sort),
            "sort_query": urlencode({"since": since.strftime("%Y-%m")}),
        },
    )
