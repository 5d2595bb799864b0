"""Appeals (申诉): filing (villagers), answering (staff, accountants), the open list.

GET/POST /appeals/new/event/<event_id>/   a villager appeals a deduction of their household
GET/POST /appeals/new/line/<line_id>/     a villager appeals their dividend line
GET/POST /appeals/<id>/                   the appeal; those who answer it answer here
GET      /appeals/                        open appeals with their age (staff, accountants)

Scope: a villager reaches only their own household's events, lines and appeals; everyone
else only the appeals they answer (`selectors.appeals_answerable_by`). Anything else is 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.scope import households_visible_to
from communities.models import ScoreEvent
from dividends.models import DividendLine, DividendRun

from . import selectors, services
from .forms import AnswerForm, AppealForm


def _villager_only(user):
    if not user.is_villager:
        raise Http404


def _file(request, *, event=None, line=None, back_url):
    form = AppealForm(request.POST or None, request.FILES or None)
    if event is not None:
        blocked = (
            None
            if selectors.event_appealable(event)
            else _("这条记录不能申诉：只能对已计入、未冲正的扣分记录申诉。")
        )
        if blocked is None and selectors.has_open_appeal(event=event):
            blocked = _("这一项已有一条申诉在等待答复")
    else:
        blocked = (
            _("这一项已有一条申诉在等待答复") if selectors.has_open_appeal(line=line) else None
        )
    if request.method == "POST" and blocked is None and form.is_valid():
        try:
            services.appeal_file(
                actor=request.user,
                event=event,
                line=line,
                text=form.cleaned_data["text"],
                photo=form.cleaned_data["photo"],
            )
        except ValidationError as error:
            form.add_error("photo" if error.code in ("not_an_image", "too_large") else None, error)
        else:
            messages.success(request, _("申诉已提交，工作人员答复后会显示在积分卡上。"))
            return redirect(back_url)
    return render(
        request,
        "appeals/appeal_form.html",
        {"form": form, "event": event, "line": line, "blocked": blocked, "back_url": back_url},
    )


@login_required
@require_http_methods(["GET", "POST"])
def file_on_event(request, event_id):
    _villager_only(request.user)
    event = get_object_or_404(
        ScoreEvent.objects.select_related("item", "community", "reverses").filter(
            household__in=households_visible_to(request.user)
        ),
        pk=event_id,
    )
    back_url = f"{reverse('card:mine')}?year={event.occurred_on.year}#event-{event.pk}"
    return _file(request, event=event, back_url=back_url)


@login_required
@require_http_methods(["GET", "POST"])
def file_on_line(request, line_id):
    _villager_only(request.user)
    line = get_object_or_404(
        DividendLine.objects.select_related("run").filter(
            household__in=households_visible_to(request.user),
            run__status=DividendRun.Status.APPROVED,
        ),
        pk=line_id,
    )
    return _file(request, line=line, back_url=f"{reverse('card:mine')}#dividend-{line.run_id}")


@login_required
@require_http_methods(["GET", "POST"])
def appeal_detail(request, pk):
    user = request.user
    appeal = get_object_or_404(selectors.appeals_visible_to(user), pk=pk)
    may_answer = (
        appeal.is_open
        and not user.is_villager
        and selectors.appeals_answerable_by(user).filter(pk=appeal.pk).exists()
    )
    form = AnswerForm(request.POST or None) if may_answer else None
    if request.method == "POST":
        if not may_answer:
            raise Http404
        if form.is_valid():
            try:
                services.appeal_answer(
                    actor=user,
                    appeal=appeal,
                    upheld=form.cleaned_data["decision"] == "upheld",
                    answer=form.cleaned_data["answer"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("已答复申诉。"))
                return redirect("appeals:detail", pk=appeal.pk)
    return render(
        request,
        "appeals/appeal_detail.html",
        {"appeal": appeal, "form": form, "may_answer": may_answer},
    )


@login_required
def appeal_list(request):
    user = request.user
    if user.is_villager:
        return redirect(reverse("card:mine"))
    open_appeals = list(selectors.open_appeals_for(user))
    return render(
        request,
        "appeals/appeal_list.html",
        {"open_appeals": open_appeals, "answered": selectors.recently_answered_by(user)},
    )
