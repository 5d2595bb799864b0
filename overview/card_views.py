"""The shareholder point card (股东积分卡): the villager's page on the phone, and the
printable plastic-card-sized card with a login QR code.

GET /card/                       the logged-in villager's own household card
GET /card/<household_id>/        the same page for a household in the user's scope
GET /card/print/?grid=<id>       printable cards for every household of a micro-grid
GET /card/print/?household=<id>  the printable card of one household

Privacy (DESIGN.md "Scope"): every household comes from `households_visible_to`, so a
villager reaches only their own household and any other id is a 404. The page shows
no other household's name, number or score: the only comparison is the micro-grid's
average, and only when the grid has at least `MIN_GRID_FOR_AVERAGE` scored households,
so that an average never stands for one other household's score.

Query count is bounded: every figure comes from a set-based selector and the event
list is paginated, so a household with 10 or 2,000 events costs the same queries.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

import segno
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.scope import communities_visible_to, households_visible_to
from appeals import selectors as appeal_selectors
from awards import selectors as award_selectors
from banking import selectors as bank_selectors
from communities import selectors as points
from communities.chart_display import monthly_chart
from communities.models import MicroGrid, ScoreEvent, ScoringItem
from matters import selectors as matter_selectors
from pinghu_points.formatting import plain_points, signed_points
from pinghu_points.months import is_year_shown, months_of_year
from pinghu_points.parameters import parse_id

from . import card_selectors as selectors
from .card_selectors import MIN_GRID_FOR_AVERAGE

EVENTS_PER_PAGE = 30
# MIN_GRID_FOR_AVERAGE (the grid-average privacy rule) lives in `card_selectors`.
# Credit-card size (85.6 × 54 mm), two across and five down on an A4 sheet.
CARDS_PER_SHEET = 10
ZERO = Decimal("0")
TENTH = Decimal("0.1")

# How the QR code is drawn on the printed card. Tests rebuild the SVG with these options.
QR_ERROR = "m"
QR_SVG_OPTIONS = {
    "scale": 1,
    "border": 4,  # the quiet zone scanners expect
    "omitsize": True,  # the card's CSS gives the size in millimetres
    "svgclass": "card-qr",
    "lineclass": None,
    "light": "#fff",
}


def today():
    """The local date; a function so tests can pin it."""
    return timezone.localdate()


# --- The QR code -------------------------------------------------------------


def card_login_url(request, household):
    """The login page with the card number filled in. The card number is no secret:
    it is printed on the card in large digits; the password never is."""
    return (
        request.build_absolute_uri(reverse("accounts:login"))
        + "?"
        + urlencode({"card": household.card_number})
    )


def card_qr(url):
    """The QR code of the printed card (segno, error correction M, never a Micro QR)."""
    return segno.make(url, error=QR_ERROR, micro=False)


def card_qr_svg(url):
    """Inline SVG of `card_qr(url)`, sized by the print stylesheet."""
    return card_qr(url).svg_inline(**QR_SVG_OPTIONS)


# --- Helpers -----------------------------------------------------------------


def _year(value, default):
    try:
        year = int(value)
    except (TypeError, ValueError):
        return default
    return year if is_year_shown(year, today=today()) else default


def _statement_url(run_id, household_id):
    """The statement page of a run line, once the dividends app provides it."""
    try:
        return reverse("dividends:statement", args=[run_id, household_id])
    except NoReverseMatch:
        return None


@dataclass
class EventRow:
    event: ScoreEvent
    appeals: list = field(default_factory=list)  # newest first (appeals app)
    may_appeal: bool = False  # the villager may file an appeal on it now

    @property
    def review(self):
        return self.event.review_or_none

    @property
    def reversal(self):
        return self.event.offsetting_reversal

    @property
    def state(self):
        """reversal, reversed, pending, rejected or counted: what the villager reads."""
        return self.event.reader_state

    @property
    def points_text(self):
        return signed_points(self.event.points)


def _item_rule(item):
    """One standard item in plain words: how many points, how often at most."""
    points = (
        plain_points(item.default_points)
        if item.min_points == item.max_points
        else _("%(low)s–%(high)s 分，一般 %(default)s")
        % {
            "low": plain_points(item.min_points),
            "high": plain_points(item.max_points),
            "default": plain_points(item.default_points),
        }
    )
    if item.direction == ScoringItem.Direction.ADD:
        parts = [_("每次加 %(points)s 分") % {"points": points}]
        if item.cap_per_month is not None:
            parts.append(_("每月最多加 %(cap)s 分") % {"cap": plain_points(item.cap_per_month)})
        if item.cap_per_year is not None:
            parts.append(_("每年最多加 %(cap)s 分") % {"cap": plain_points(item.cap_per_year)})
    else:
        parts = [_("每次扣 %(points)s 分") % {"points": points}]
        if item.cap_per_month is not None:
            parts.append(_("每月最多扣 %(cap)s 分") % {"cap": plain_points(item.cap_per_month)})
        if item.cap_per_year is not None:
            parts.append(_("每年最多扣 %(cap)s 分") % {"cap": plain_points(item.cap_per_year)})
    if item.needs_photo:
        parts.append(_("须拍照留证"))
    return _("，").join(parts)


def _standard_items(items):
    add, deduct = [], []
    for item in items:
        entry = {
            "name": item.name,
            "category": item.get_category_display(),
            "rule": _item_rule(item),
            "description": item.description,
            "is_veto": item.is_veto,
        }
        (add if item.direction == ScoringItem.Direction.ADD else deduct).append(entry)
    return add, deduct


def _percent(value, low, high):
    if value is None or high <= low:
        return 0
    share = (Decimal(value) - low) / (high - low) * 100
    return float(min(max(share, ZERO), Decimal(100)).quantize(TENTH))


def _card_context(request, household, year):
    now = today()
    # The monthly chart runs to the current month, or through December for a past year.
    through_month = months_of_year(year, today=now)
    card = selectors.point_card(household=household, year=year, through_month=through_month)
    standard, score, total = card.standard, card.score, card.total
    points_by_month, own_series, average = card.points_by_month, card.own_series, card.average

    labels = [_("%(month)s月") % {"month": month} for month in range(1, through_month + 1)]
    months = [
        {
            "label": label,
            "points": signed_points(points_by_month.get(index + 1, ZERO)),
            "score": plain_points(own_series[index]) if own_series else "—",
            "average": plain_points(average[index]) if average else None,
        }
        for index, label in enumerate(labels)
    ]
    chart = monthly_chart(
        labels=labels,
        own_series=own_series,
        average=average,
        base_points=standard and standard.base_points,
    )

    # Every event of the year, newest first, a page at a time; totals above count them all.
    paginator = Paginator(points.household_events(household=household, year=year), EVENTS_PER_PAGE)
    events_page = paginator.get_page(request.GET.get("page"))
    user = request.user
    is_own = user.is_villager and user.household_id == household.pk
    events = list(events_page.object_list)
    by_event = appeal_selectors.appeals_by_event(event_ids=[event.pk for event in events])
    rows = []
    for event in events:
        appeals = by_event.get(event.pk, [])
        rows.append(
            EventRow(
                event=event,
                appeals=appeals,
                may_appeal=is_own
                and appeal_selectors.event_appealable(event)
                and not any(appeal.is_open for appeal in appeals),
            )
        )

    by_line = appeal_selectors.appeals_by_line(line_ids=[line.pk for line in card.dividend_lines])
    dividends = []
    for line in card.dividend_lines:
        appeals = by_line.get(line.pk, [])
        dividends.append(
            {
                "line": line,
                "year": line.run.year,
                "statement_url": _statement_url(line.run_id, household.pk),
                "appeals": appeals,
                "may_appeal": is_own and not any(appeal.is_open for appeal in appeals),
                "notice_url": reverse("dividends:notice", args=[line.run_id]),
            }
        )

    add_items, deduct_items = _standard_items(card.items)
    base_url = (
        reverse("card:mine")
        if request.resolver_match.url_name == "mine"
        else reverse("card:household", args=[household.pk])
    )
    return {
        "household": household,
        "year": year,
        "base_url": base_url,
        "standard": standard,
        "score": score,
        "score_text": plain_points(score, empty="—"),
        "total": total,
        "total_text": signed_points(total),
        "score_percent": _percent(score, standard.lower_bound, standard.upper_bound)
        if standard
        else 0,
        "base_percent": _percent(standard.base_points, standard.lower_bound, standard.upper_bound)
        if standard
        else 0,
        "vetoed": card.vetoed,
        "veto_pending": card.veto_pending,
        "pending_count": card.pending_count,
        "months": months,
        "has_average": bool(average),
        "latest_average": plain_points(average[-1]) if average else None,
        "chart": chart,
        "rows": rows,
        "events_page": events_page,
        "event_count": paginator.count,
        "add_items": add_items,
        "deduct_items": deduct_items,
        "dividends": dividends,
        # Awards of any period (奖励发放) beside the dividends, each line explained.
        "awards": award_selectors.card_awards(household=household),
        "is_own": is_own,
        "can_print": _may_print(user),
        "min_grid": MIN_GRID_FOR_AVERAGE,
        # 整改: what the household must still fix, by when (docs/rectification.md).
        "rectifications": _open_rectifications(household, now),
        # 善治金融: consent to the bank and when it last looked (templates/banking/).
        "bank_consent": bank_selectors.card_consent(household=household, user=user),
        # 议事: the household's open matters and results reported back (templates/matters/).
        "card_matters": matter_selectors.card_matters(household=household, user=user),
    }


def _open_rectifications(household, now):
    from communities.rectification_views import refund_text
    from communities.selectors import open_rectifications

    rows = []
    for rectification in open_rectifications(households=[household]):
        rows.append(
            {
                "rectification": rectification,
                "overdue": rectification.due_on < now,
                "refund_text": refund_text(rectification.deduction.item),
            }
        )
    return rows


def _may_print(user):
    return user.may_print_cards


def _render_card(request, household):
    """The card of the asked year if it holds data, else of the newest year that does."""
    current = today().year
    years = selectors.card_years(household=household, current_year=current)
    year = _year(request.GET.get("year"), current)
    if years and year not in years:
        year = years[0]
    context = _card_context(request, household, year)
    context["years"] = years
    return render(request, "card/point_card.html", context)


def _households(user):
    return selectors.card_households(user=user)


# --- Views -------------------------------------------------------------------


@require_GET
@login_required
def mine(request):
    """The villager's own card. Everyone else has no card of their own: home page."""
    user = request.user
    if user.must_change_password:
        return redirect("accounts:password_change")
    if not user.is_villager:
        return redirect("home")
    household = get_object_or_404(_households(user), pk=user.household_id)
    return _render_card(request, household)


@require_GET
@login_required
def household_card(request, household_id):
    """Any household in the user's scope; for a villager that is only their own (else 404)."""
    user = request.user
    if user.must_change_password:
        return redirect("accounts:password_change")
    household = get_object_or_404(_households(user), pk=household_id)
    return _render_card(request, household)


def _int_param(request, name):
    value = request.GET.get(name)
    if value in (None, ""):
        return None
    number = parse_id(value)
    if number is None:
        raise Http404
    return number


@require_GET
@login_required
def print_cards(request):
    """Cards for one micro-grid or one household, ten to an A4 sheet. Staff only."""
    user = request.user
    if user.must_change_password:
        return redirect("accounts:password_change")
    if user.is_villager:
        # A villager has no print page: their own card is the page they can use.
        return redirect("card:mine")
    if not _may_print(user):
        raise PermissionDenied(_("只有工作人员可以打印积分卡"))
    grid_id = _int_param(request, "grid")
    household_id = _int_param(request, "household")
    visible = _households(user)
    grid = None
    if grid_id is not None:
        grid = get_object_or_404(
            MicroGrid.objects.select_related("community").filter(
                community__in=communities_visible_to(user)
            ),
            pk=grid_id,
        )
        households = visible.filter(micro_grid=grid)
    elif household_id is not None:
        households = visible.filter(pk=household_id)
        if not households.exists():
            raise Http404
    else:
        grids = (
            MicroGrid.objects.filter(
                Q(community__in=communities_visible_to(user))
                & Q(households__in=households_visible_to(user))
            )
            .select_related("community")
            .distinct()
            .order_by("community__code", "code")
        )
        return render(request, "card/print_cards.html", {"picker": list(grids)})

    cards = []
    for household in households.order_by("micro_grid__code", "cooperative__code", "number"):
        url = card_login_url(request, household)
        cards.append(
            {
                "household": household,
                "login_url": url,
                # Safe: segno draws the URL as modules; no text of ours enters the SVG.
                "qr_svg": mark_safe(card_qr_svg(url)),
            }
        )
    return render(
        request,
        "card/print_cards.html",
        {
            "grid": grid,
            "cards": cards,
            "sheets": [
                cards[start : start + CARDS_PER_SHEET]
                for start in range(0, len(cards), CARDS_PER_SHEET)
            ],
        },
    )
