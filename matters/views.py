"""Matters (议事): the desk and the grid leader's phone, and the villager's card.

GET      /matters/                 matters in scope (grid leader, staff, admin), by state
GET/POST /matters/new/             record a matter (收集): villagers for their own grid
GET/POST /matters/<id>/            the matter, its steps and the next steps' forms
GET      /matters/mine/            the villager's own matters and their grid's public list
GET      /matters/export.xlsx      the matters in scope as a spreadsheet (pinghu_points/exports)

Scope: `selectors.matters_visible_to`; another scope's matter is 404. The desk pages
answer 403 to roles that have no matters (accountant, supervisor, bank).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.scope import micro_grids_managed_by, sees_staff_names
from communities.models import Community
from pinghu_points.exports import XLSX_CONTENT_TYPE, safe_filename, xlsx_bytes
from pinghu_points.parameters import parse_id
from villages.models import Household

from . import exports, selectors, services
from .forms import AssessForm, AssignForm, NoteForm, RaiseForm, ReportForm, VerdictForm
from .models import Matter

State = Matter.State

FILTERS = {
    "open": (State.COLLECTED, State.ACCEPTED, State.ASSIGNED, State.IN_HAND),
    "collected": (State.COLLECTED,),
    "in_hand": (State.ACCEPTED, State.ASSIGNED, State.IN_HAND),
    "done": (State.REPORTED, State.MERGED, State.DECLINED),
}


def _desk_user(user):
    """Those who keep matters at the desk or on the grid: staff, grid leaders, the admin."""
    if not user.may_score:
        raise PermissionDenied


def _photo_error_field(error):
    return "photo" if getattr(error, "code", None) in ("not_an_image", "too_large") else None


@login_required
@require_GET
def matter_list(request):
    user = request.user
    if user.is_villager:
        return redirect("matters:mine")
    _desk_user(user)
    today = timezone.localdate()
    shown = request.GET.get("show", "open")
    matters = selectors.matters_visible_to(user)
    if shown == "overdue":
        matters = matters.filter(state__in=selectors.TRACKED_STATES, due_on__lt=today)
    elif shown in FILTERS:
        matters = matters.filter(state__in=FILTERS[shown])
    else:
        shown = "all"
    page = Paginator(matters.order_by("-recorded_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "matters/matter_list.html",
        {
            "page": page,
            "shown": shown,
            "today": today,
            "filters": [
                ("open", _("未办结")),
                ("overdue", _("逾期")),
                ("collected", _("待研判")),
                ("in_hand", _("办理中")),
                ("done", _("已办结")),
                ("all", _("全部")),
            ],
            "overdue_count": selectors.overdue_matters_for(user, today=today).count(),
        },
    )


def _household_of(grid, number):
    number = (number or "").strip()
    if not number:
        return None
    household = Household.objects.filter(micro_grid=grid, number=number).first()
    if household is None:
        raise ValidationError(_("这个微网格里没有户号为 %(number)s 的股东户") % {"number": number})
    return household


@login_required
@require_http_methods(["GET", "POST"])
def matter_new(request):
    user = request.user
    if user.is_villager:
        grids = None
        if user.household.micro_grid_id is None:
            messages.error(request, _("您家还没有划入微网格，请到社区登记。"))
            return redirect("matters:mine")
    else:
        _desk_user(user)
        grids = list(micro_grids_managed_by(user).select_related("community"))
    initial = {}
    if grids is not None:
        initial["grid"] = parse_id(request.GET.get("grid"))
        household = parse_id(request.GET.get("household"))
        if household:
            found = Household.objects.filter(pk=household, micro_grid__in=grids).first()
            if found is not None:
                initial = {"grid": found.micro_grid_id, "household_number": found.number}
    form = RaiseForm(request.POST or None, request.FILES or None, grids=grids, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            grid = household = None
            if grids is not None:
                grid = next(g for g in grids if g.pk == data["grid"])
                household = _household_of(grid, data["household_number"])
            matter = services.matter_record(
                actor=user,
                micro_grid=grid,
                household=household,
                text=data["text"],
                place=data["place"],
                photo=data["photo"],
            )
        except ValidationError as error:
            form.add_error(_photo_error_field(error), error)
        else:
            messages.success(
                request,
                _("已记下这件事（#%(id)s），处理的每一步都会在这里看到。") % {"id": matter.pk},
            )
            return redirect("matters:detail", pk=matter.pk)
    return render(request, "matters/matter_form.html", {"form": form})


def _next_steps(user, matter):
    """{step: form} of the steps this user may take now (display only: the services
    decide, and refuse with their message whatever is posted)."""
    managed = selectors.matters_managed_by(user).filter(pk=matter.pk).exists()
    handled = managed or selectors.matters_handled_by(user).filter(pk=matter.pk).exists()
    steps = {}
    if managed and matter.state == State.COLLECTED:
        steps["assess"] = AssessForm
    if managed and matter.state == State.ACCEPTED:
        steps["assign"] = AssignForm
    if handled and matter.state in selectors.TRACKED_STATES:
        steps["handle"] = NoteForm
    if managed and matter.state in selectors.TRACKED_STATES:
        steps["track"] = NoteForm
    if handled and matter.state == State.IN_HAND:
        steps["report"] = ReportForm
    if (
        user.is_villager
        and matter.household_id == user.household_id
        and matter.state == State.REPORTED
        and matter.solved is None
    ):
        steps["verdict"] = VerdictForm
    return steps


STEP_FORMS = {
    "assess": AssessForm,
    "assign": AssignForm,
    "handle": NoteForm,
    "track": NoteForm,
    "report": ReportForm,
    "verdict": VerdictForm,
}


def _form(step, data=None, files=None):
    if step == "assign":
        return AssignForm(data, files, communities=Community.objects.order_by("code"), prefix=step)
    return STEP_FORMS[step](data, files, prefix=step)


def _take_step(*, user, matter, step, data):
    if step == "assess":
        merge_into = None
        if data["merge_into"]:
            merge_into = Matter.objects.filter(pk=data["merge_into"]).first() or Matter(
                pk=data["merge_into"]
            )
        services.matter_assess(
            actor=user,
            matter=matter,
            decision=data["decision"],
            reason=data["reason"],
            merge_into=merge_into,
        )
    elif step == "assign":
        services.matter_assign(
            actor=user,
            matter=matter,
            community=Community.objects.filter(pk=data["community"]).first()
            if data["community"]
            else None,
            office=data["office"],
            due_on=data["due_on"],
            note=data["note"],
        )
    elif step == "handle":
        services.matter_progress(actor=user, matter=matter, note=data["note"], photo=data["photo"])
    elif step == "track":
        services.matter_track(actor=user, matter=matter, note=data["note"], photo=data["photo"])
    elif step == "report":
        services.matter_report_back(
            actor=user, matter=matter, result=data["result"], photo=data["photo"]
        )
    else:
        services.matter_villager_verdict(
            actor=user, matter=matter, solved=data["solved"] == "yes", note=data["note"]
        )


STEP_DONE = {
    "assess": gettext_lazy("已记录研判结论。"),
    "assign": gettext_lazy("已交办。"),
    "handle": gettext_lazy("已记录办理情况。"),
    "track": gettext_lazy("已记录跟踪情况。"),
    "report": gettext_lazy("已反馈办理结果。"),
    "verdict": gettext_lazy("谢谢您的评价。"),
}


@login_required
@require_http_methods(["GET", "POST"])
def matter_detail(request, pk):
    user = request.user
    matter = get_object_or_404(selectors.matters_visible_to(user), pk=pk)
    forms = {step: _form(step) for step in _next_steps(user, matter)}
    status = 200
    if request.method == "POST":
        step = request.POST.get("step")
        if step not in STEP_FORMS:
            raise Http404
        form = _form(step, request.POST, request.FILES)
        forms[step] = form
        if form.is_valid():
            try:
                _take_step(user=user, matter=matter, step=step, data=form.cleaned_data)
            except ValidationError as error:
                form.add_error(_photo_error_field(error), error)
                status = 400
            except PermissionDenied as error:
                form.add_error(None, str(error))
                status = 403
            else:
                messages.success(request, STEP_DONE[step])
                return redirect("matters:detail", pk=matter.pk)
        else:
            status = 400
    return render(
        request,
        "matters/matter_detail.html",
        {
            "matter": matter,
            "steps": selectors.steps_of(matter),
            "forms": forms,
            "show_names": sees_staff_names(user),
            "overdue": matter.is_overdue(),
        },
        status=status,
    )


@login_required
@require_GET
def my_matters(request):
    user = request.user
    if not user.is_villager:
        return redirect("matters:list")
    household = user.household
    own = selectors.matters_visible_to(user).order_by("-recorded_at", "-id")
    public = selectors.public_matters_of_grid(household=household)
    labels = dict(State.choices)
    for row in public:
        row["state_label"] = labels[row["state"]]
    return render(
        request,
        "matters/my_matters.html",
        {"own": own, "public": public, "household": household},
    )


@login_required
@require_GET
def matter_export(request):
    user = request.user
    _desk_user(user)
    today = timezone.localdate()
    sheet = exports.matters_sheet(
        matters=selectors.matters_visible_to(user).order_by("recorded_at", "id"),
        user=user,
        today=today,
    )
    filename = safe_filename(_("议事事项-%(day)s.xlsx") % {"day": today.isoformat()})
    return HttpResponse(
        xlsx_bytes(sheet),
        content_type=XLSX_CONTENT_TYPE,
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )
