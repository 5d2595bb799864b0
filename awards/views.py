"""The award pages (奖励发放), thin: the rules live in `awards.services`/`selectors`.

GET       /awards/                                   runs of the user's villages
GET/POST  /awards/runs/new/                          create a run (computed as a job)
GET       /awards/runs/<id>/                         status, progress, pool, checks, lines
GET       /awards/runs/<id>/progress/                {status, status_label, progress, error, done, can_retry, stalled}
GET/POST  /awards/runs/<id>/approve/                 summary, largest changes from the
                                                     previous period, explicit confirmation
POST      /awards/runs/<id>/recompute/               a computed run again, as a new version
POST      /awards/runs/<id>/retry/                   a failed, unsent or stalled run again
GET       /awards/runs/<id>/export/<bank|notice>.<xlsx|csv>
GET       /awards/runs/<id>/notice/                  the online 公示 of an approved run

Scope (DESIGN.md "Scope"): accountants, the supervisor and admins read the runs of
`cooperatives_signed_by`; only accountants and admins create, recompute, retry and
export (`cooperatives_managed_by`); approval is `services.approval_refusal` (never the creator).
The notice is for logged-in users of the village (`cooperatives_visible_to`). Anyone
else gets 403; a run outside the user's scope is a 404.
"""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.scope import cooperatives_visible_to
from dividends import notice
from pinghu_points import jobs
from pinghu_points.exports import plain_decimal
from pinghu_points.formatting import money

from . import exports, selectors, services
from .forms import AwardRunForm
from .models import AwardRun

logger = logging.getLogger(__name__)

LINES_PER_PAGE = 50
EXPORT_FORMATS = ("xlsx", "csv")


def _require_payer(user):
    if not user.may_pay:
        raise PermissionDenied(_("只有合作社会计和街道管理员可以操作奖励发放"))


def _require_reader(user):
    if not user.may_read_runs:
        raise PermissionDenied(_("只有合作社会计、理事长/监事长和街道管理员可以查看奖励方案"))


def _run_or_404(request, pk):
    _require_reader(request.user)
    return get_object_or_404(selectors.runs_for(request.user), pk=pk)


def _cell(value, kind):
    """A notice cell as the page shows it (amounts with separators, points plain)."""
    if value is None:
        return ""
    if kind == "money":
        return money(value)
    if kind == "score":
        return plain_decimal(value)
    return str(value)


def _error_text(error):
    return "；".join(error.messages) if isinstance(error, ValidationError) else str(error)


def _enqueue(request, run, *, sent_message):
    try:
        sent = services.award_run_enqueue(run=run)
    except Exception:  # eager mode: the service has marked the run failed, with the error
        logger.exception("award run %s could not be computed", run.pk)
        messages.error(request, _("计算失败，请查看方案页面上的错误信息"))
        return
    if sent is False:
        messages.warning(
            request,
            _(
                "第 %(version)s 版已保存，但任务队列暂时无法连接：队列恢复后会自动计算，不必重新创建。"
            )
            % {"version": run.version},
        )
    else:
        messages.success(request, sent_message)


@login_required
@require_GET
def run_list(request):
    _require_reader(request.user)
    runs = selectors.runs_for(request.user).order_by(
        "cooperative__code", "-year", "-period_number", "-version"
    )
    page = Paginator(runs, LINES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "awards/run_list.html", {"page": page, "can_create": request.user.may_pay}
    )


@login_required
@require_http_methods(["GET", "POST"])
def run_create(request):
    _require_payer(request.user)
    form = AwardRunForm(request.POST or None, user=request.user)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            run = services.award_run_create(
                actor=request.user,
                cooperative=data["cooperative"],
                name=data["name"],
                period_kind=data["period_kind"],
                year=data["year"],
                period_number=data["period_number"],
                pool=data["pool"],
                categories=data["categories"],
                item_codes=data["item_list"],
                recipients=data["recipients"],
                policy=data["policy"],
                parameters=form.parameters(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            _enqueue(
                request,
                run,
                sent_message=_("已创建%(period)s奖励方案第 %(version)s 版，正在计算")
                % {"period": run.period_label, "version": run.version},
            )
            return redirect("awards:run_detail", pk=run.pk)
    return render(request, "awards/run_form.html", {"form": form})


def _approval_context(request, run):
    refusal = services.approval_refusal(actor=request.user, run=run)
    approved = (
        services.approved_run_of_period(
            cooperative=run.cooperative,
            period_kind=run.period_kind,
            year=run.year,
            period_number=run.period_number,
        )
        if run.status != AwardRun.Status.APPROVED
        else run
    )
    return {
        "can_approve": refusal is None,
        "approval_refusal": refusal,
        "period_approved_run": approved if approved is not None and approved.pk != run.pk else None,
        "can_recompute": services.recompute_refusal(actor=request.user, run=run) is None,
    }


def _notice_state(run):
    window = notice.notice_window(run)
    if window is None:
        return None
    return {"first_day": window[0], "last_day": window[1], "under_notice": notice.under_notice(run)}


@login_required
@require_GET
def run_detail(request, pk):
    run = _run_or_404(request, pk)
    computed = run.status in selectors.HAS_LINES
    lines = run.lines.order_by("household_number") if computed else run.lines.none()
    page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "awards/run_detail.html",
        {
            "run": run,
            "computed": computed,
            "state": selectors.progress_state(run),
            "counted": selectors.counted_text(run),
            "reconciliation": selectors.reconciliation(run),
            "page": page,
            "rows": [(line, selectors.explanation(line, run)) for line in page],
            "tiers": (run.parameters or {}).get("tiers") or [],
            "can_retry": services.run_can_retry(run),
            "stall_hint": _stall_hint(run),
            "notice": _notice_state(run),
            "exports": [
                (kind, label, file_format)
                for kind, label in (("bank", _("银行代发清单")), ("notice", _("公示清单")))
                for file_format in EXPORT_FORMATS
            ]
            if computed and request.user.may_pay
            else [],
            **_approval_context(request, run),
        },
    )


def _stall_hint(run):
    """The run page's words for a run that may have stalled (empty while it runs fine)."""
    stall = services.run_stall(run)
    return jobs.stall_message(stall, action=_("重新计算")) if stall else ""


@login_required
@require_GET
def run_progress(request, pk):
    run = _run_or_404(request, pk)
    state = selectors.progress_state(run)
    return JsonResponse(
        {
            "status": state.status,
            "status_label": state.status_label,
            "progress": state.progress,
            "error": state.error,
            "done": state.done,
            "can_retry": services.run_can_retry(run),
            "stalled": _stall_hint(run),
        }
    )


@login_required
@require_http_methods(["GET", "POST"])
def run_approve(request, pk):
    run = _run_or_404(request, pk)
    if request.method == "POST":
        if request.POST.get("confirm") != "on":
            messages.error(request, _("请勾选确认后再审批"))
            return redirect("awards:run_approve", pk=run.pk)
        try:
            run = services.award_run_approve(actor=request.user, run=run)
        except ValidationError as error:
            messages.error(request, _("未能审批：%(reason)s") % {"reason": _error_text(error)})
            return redirect("awards:run_approve", pk=run.pk)
        messages.success(request, _("已审批：本方案已冻结，公示期从今天开始"))
        return redirect("awards:run_detail", pk=run.pk)
    previous = selectors.previous_approved_run(run)
    return render(
        request,
        "awards/run_approve.html",
        {
            "run": run,
            "counted": selectors.counted_text(run),
            "reconciliation": selectors.reconciliation(run),
            "previous": previous,
            "comparison": selectors.comparison(run, previous),
            "changes": selectors.largest_changes(run, previous),
            "largest_changes": selectors.LARGEST_CHANGES,
            **_approval_context(request, run),
        },
    )


@login_required
@require_POST
def run_recompute(request, pk):
    _require_payer(request.user)
    run = _run_or_404(request, pk)
    try:
        new_run = services.award_run_recompute(actor=request.user, run=run)
    except ValidationError as error:
        messages.error(request, _("未能重新计算：%(reason)s") % {"reason": _error_text(error)})
        return redirect("awards:run_detail", pk=run.pk)
    _enqueue(
        request,
        new_run,
        sent_message=_("已按当前积分台账重新计算为第 %(version)s 版")
        % {"version": new_run.version},
    )
    return redirect("awards:run_detail", pk=new_run.pk)


@login_required
@require_POST
def run_retry(request, pk):
    _require_payer(request.user)
    run = _run_or_404(request, pk)
    try:
        run = services.award_run_retry(actor=request.user, run=run)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("awards:run_detail", pk=run.pk)
    _enqueue(
        request, run, sent_message=_("第 %(version)s 版已重新开始计算") % {"version": run.version}
    )
    return redirect("awards:run_detail", pk=run.pk)


@login_required
@require_GET
def run_export(request, pk, kind, file_format):
    _require_payer(request.user)
    run = _run_or_404(request, pk)
    if kind not in exports.KINDS or file_format not in exports.FORMATS:
        raise Http404
    if run.status not in selectors.HAS_LINES:
        messages.error(request, _("方案计算完成后才能导出清单"))
        return redirect("awards:run_detail", pk=run.pk)
    content, filename, content_type = exports.export_run(
        run=run, kind=kind, file_format=file_format
    )
    services.award_run_exported(actor=request.user, run=run, kind=kind, file_format=file_format)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
@require_GET
def notice_page(request, pk):
    """The online 公示 of an approved award, for logged-in users of its village."""
    user = request.user
    if user.must_change_password:
        return redirect("accounts:password_change")
    run = get_object_or_404(
        AwardRun.objects.filter(
            status=AwardRun.Status.APPROVED, cooperative__in=cooperatives_visible_to(user)
        ).select_related("cooperative__village", "created_by"),
        pk=pk,
    )
    window = notice.notice_window(run)
    sheet, _total = exports.notice_sheet(run, exports.run_lines(run), starts_on=window[0])
    kinds = [column.kind for column in sheet.columns]
    return render(
        request,
        "awards/notice.html",
        {
            "run": run,
            "sheet": sheet,
            "headers": sheet.headers,
            "rows": [
                [(h, _cell(v, k)) for h, v, k in zip(sheet.headers, row, kinds, strict=True)]
                for row in sheet.rows
            ],
            "total_row": [
                (h, _cell(v, k)) for h, v, k in zip(sheet.headers, sheet.total, kinds, strict=True)
            ],
            "under_notice": notice.under_notice(run),
            "ended": notice.notice_ended(run),
        },
    )
