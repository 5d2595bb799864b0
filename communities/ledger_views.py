"""The household's points ledger, reversal, the review queue and month close.

GET  /communities/scoring/households/<id>/?year=Y   the point card: score, months, every event
GET  /communities/scoring/events/<id>/reverse/      confirm a reversal (reason required)
POST the same URL                                   record the reversal
GET  /communities/scoring/review/                   events waiting for this staff member
POST the same URL                                   confirm, or reject with a reason
GET  /communities/scoring/months/                   the user's communities × the last 12 months
POST the same URL                                   close (staff, confirm=on) or reopen
                                                    (subdistrict admin, with a reason)
GET  /communities/scoring/months/close/?community=&month=   what closing means, and confirm

Views only choose the household or event in the user's scope and call the services;
every rule lives in `communities.services`.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.scope import (
    communities_visible_to,
    households_scorable_by,
    households_visible_to,
    sees_staff_names,
)
from pinghu_points.months import months_back, months_of_year, years_shown
from pinghu_points.parameters import parse_year
from villages.models import Household

from . import selectors, services
from .chart_display import monthly_chart
from .forms import MonthChangeForm, ReversalForm, ReviewForm
from .models import EventReview, MonthStatusChange, ScoreEvent
from .month_display import month_table, month_url

ZERO = Decimal("0.0")  # shown as points are: one decimal place
MONTHS_SHOWN = 12


def _require_scorer(user):
    if not user.may_score:
        raise PermissionDenied(_("只有社区工作人员可以操作"))


YEAR_BUTTONS = 5  # the staff ledger's year buttons: the newest of `years_shown`


def _year(value, default):
    return parse_year(value) or default


@dataclass
class EventRow:
    event: ScoreEvent
    can_reverse: bool

    @property
    def review(self):
        return self.event.review_or_none

    @property
    def reversal(self):
        return self.event.offsetting_reversal

    @property
    def waiting_reversal(self):
        return self.event.waiting_reversal

    @property
    def review_state(self):
        return self.event.review_state

    @property
    def counts(self):
        return self.event.counts


def _household_context(user, household, year):
    """Everything the point card shows for one year, read through the selectors."""
    today = timezone.localdate()
    standard = selectors.standard_for(cooperative=household.cooperative, year=year)
    last_month = months_of_year(year, today=today)
    monthly_points = selectors.monthly_points(household_ids=[household.pk], year=year).get(
        household.pk, {}
    )
    series = selectors.monthly_scores(
        households=Household.objects.filter(pk=household.pk), year=year
    ).get(household.pk)
    months = [
        {
            "month": date(year, number, 1),
            "points": monthly_points.get(number, ZERO),
            "score": series[number - 1] if series else None,
        }
        for number in range(1, last_month + 1)
    ]
    # The card's chart: on a phone it says at a glance what a dozen month cards did.
    chart = monthly_chart(
        labels=[_("%(month)s月") % {"month": number} for number in range(1, last_month + 1)],
        own_series=series[:last_month] if series and standard else None,
        average=None,
        base_points=standard and standard.base_points,
    )
    can_score = households_scorable_by(user).filter(pk=household.pk).exists()
    rows = [
        EventRow(event=event, can_reverse=can_score and event.is_reversible)
        for event in selectors.household_events(household=household, year=year)
    ]
    return {
        "household": household,
        "year": year,
        "years": years_shown(today=today)[:YEAR_BUTTONS],
        "standard": standard,
        "score": selectors.household_annual_score(household=household, year=year),
        "total": sum((row.event.points for row in rows if row.counts), ZERO),
        "pending_count": sum(1 for row in rows if row.review_state == "pending"),
        "months": months,
        "chart": chart,
        "rows": rows,
        "vetoed": household.pk
        in selectors.vetoed_household_ids(household_ids=[household.pk], year=year),
        "veto_pending": household.pk
        in selectors.pending_veto_household_ids(household_ids=[household.pk], year=year),
        "can_score": can_score,
        "show_staff_names": sees_staff_names(user),
    }


@login_required
def household_points(request, pk):
    household = get_object_or_404(
        households_visible_to(request.user).select_related(
            "cooperative", "community", "micro_grid"
        ),
        pk=pk,
    )
    year = _year(request.GET.get("year"), timezone.localdate().year)
    return render(
        request,
        "communities/household_points.html",
        _household_context(request.user, household, year),
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_reverse(request, pk):
    """GET: the point card with a confirmation form for this event; POST: record the reversal."""
    user = request.user
    event = get_object_or_404(
        ScoreEvent.objects.filter(household__in=households_visible_to(user)).select_related(
            "household__cooperative", "household__community", "item", "community", "entered_by"
        ),
        pk=pk,
    )
    if not households_scorable_by(user).filter(pk=event.household_id).exists():
        raise PermissionDenied(_("该户不在您负责的社区"))
    year = event.occurred_on.year
    back = (
        f"{reverse('communities:household_points', args=[event.household_id])}"
        f"?{urlencode({'year': year})}"
    )
    form = ReversalForm(request.POST or None, request.FILES or None, veto=event.item.is_veto)
    if request.method == "POST" and form.is_valid():
        try:
            reversal = services.score_event_reverse(
                actor=user,
                event=event,
                reason=form.cleaned_data["reason"],
                evidence=form.cleaned_data.get("evidence"),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            message = _("已冲正：新增一条 %(points)s 分的冲正记录") % {
                "points": f"{reversal.points:+}"
            }
            if reversal.needs_review:
                message += _("，须另一名工作人员复核后生效")
            messages.success(request, message)
            return redirect(f"{back}#event-{reversal.pk}")
    context = _household_context(user, event.household, year)
    row = next((row for row in context["rows"] if row.event.pk == event.pk), None)
    context.update(
        {
            "reverse_event": event,
            "reverse_form": form,
            "back": back,
            # Said before the user types a reason; the service still decides on POST.
            "reverse_refused": row is None or not row.can_reverse,
        }
    )
    return render(
        request,
        "communities/household_points.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_queue(request):
    """Events entered by another staff member that wait for this one's confirmation."""
    user = request.user
    _require_scorer(user)
    if request.method == "POST":
        form = ReviewForm(request.POST)
        if form.is_valid():
            event = get_object_or_404(
                ScoreEvent.objects.filter(household__in=households_scorable_by(user)),
                pk=form.cleaned_data["event"],
            )
            if (
                event.item.is_veto
                and form.cleaned_data["decision"] == EventReview.Decision.CONFIRMED
                and not form.cleaned_data["confirm"]
            ):
                # A veto takes the household's incentive for the year (its reversal gives
                # it back): confirmed only on the page that says so.
                return redirect("communities:review_veto", pk=event.pk)
            try:
                services.score_event_review(
                    actor=user,
                    event=event,
                    decision=form.cleaned_data["decision"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                if form.cleaned_data["decision"] == EventReview.Decision.CONFIRMED:
                    messages.success(request, _("已确认：%(event)s") % {"event": event})
                else:
                    messages.success(request, _("已驳回：%(event)s") % {"event": event})
        else:
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
        return redirect("communities:review_queue")
    events = list(selectors.review_queue(user=user).select_related("household__cooperative"))
    return render(request, "communities/review_queue.html", {"events": events})


@login_required
@require_http_methods(["GET"])
def review_veto(request, pk):
    """What confirming a veto (or its reversal) does to the household, and the confirmation."""
    user = request.user
    _require_scorer(user)
    event = get_object_or_404(
        selectors.review_queue(user=user).filter(item__is_veto=True).select_related("reverses"),
        pk=pk,
    )
    return render(
        request,
        "communities/review_veto.html",
        {"event": event, "effect": selectors.review_effect(event=event)},
    )


@login_required
@require_http_methods(["GET"])
def month_close_confirm(request):
    """What closing a month means, with its counts, and the confirmation to close it."""
    user = request.user
    _require_scorer(user)
    form = MonthChangeForm(
        {
            "community": request.GET.get("community"),
            "month": request.GET.get("month"),
            "action": MonthStatusChange.Action.CLOSE,
        }
    )
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("communities:month_list")
    community = get_object_or_404(communities_visible_to(user), pk=form.cleaned_data["community"])
    month = form.cleaned_data["month"]
    return render(
        request,
        "communities/month_close.html",
        {
            "community": community,
            "month": month,
            "label": month.strftime("%Y-%m"),
            "closed": selectors.month_is_closed(community=community, month=month),
            "future": month > selectors.first_of_month(timezone.localdate()),
            "summary": selectors.month_events_summary(community=community, month=month),
            # The phone's month list links here: reopening lives on this page too.
            "can_reopen": user.may_reopen_months,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def month_list(request):
    """Close a month (staff of the community) or reopen it (subdistrict admin, with a reason)."""
    user = request.user
    _require_scorer(user)
    communities = communities_visible_to(user).order_by("code")
    if request.method == "POST":
        form = MonthChangeForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
            return redirect("communities:month_list")
        data = form.cleaned_data
        community = get_object_or_404(communities, pk=data["community"])
        label = data["month"].strftime("%Y-%m")
        if data["action"] == MonthStatusChange.Action.CLOSE and not data["confirm"]:
            # Not confirmed: show what closing means first.
            return redirect(month_url(community, label))
        try:
            if data["action"] == MonthStatusChange.Action.CLOSE:
                services.month_close(actor=user, community=community, month=data["month"])
                messages.success(
                    request,
                    _("%(community)s %(month)s 已关账") % {"community": community, "month": label},
                )
            else:
                services.month_reopen(
                    actor=user, community=community, month=data["month"], reason=data["reason"]
                )
                messages.success(
                    request,
                    _("%(community)s %(month)s 已重新开放")
                    % {"community": community, "month": label},
                )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect(f"{reverse('communities:month_list')}#community-{community.pk}")

    months = months_back(timezone.localdate(), MONTHS_SHOWN)
    communities = list(communities)
    states = selectors.month_states(
        community_ids=[community.pk for community in communities], months=months
    )
    table = month_table(communities=communities, months=months, states=states)
    return render(
        request,
        "communities/month_list.html",
        {"table": table, "can_reopen": user.may_reopen_months},
    )
