"""The accountant pages of the annual dividend run.

GET       /dividends/                                  runs of the user's cooperatives
GET/POST  /dividends/runs/new/                         create a run (live preview of the pools)
GET       /dividends/pools/preview/?total=&incentive_mode=&incentive_value=   pools as JSON
GET       /dividends/runs/<id>/                        status, progress, pools, reconciliation,
                                                       score flags, last year, approve, exports
GET       /dividends/runs/<id>/progress/               {status, status_label, progress, error, done, can_retry}
GET       /dividends/runs/<id>/approve/                the approval page: summary, largest changes
                                                       from last year, explicit confirmation
POST      /dividends/runs/<id>/approve/                approve (confirm=on; the run is frozen)
POST      /dividends/runs/<id>/recompute/              recompute a computed run as a new version
POST      /dividends/runs/<id>/retry/                  compute a failed, unsent or stalled run again
GET       /dividends/runs/<id>/lines/                  lines: search, sort, paginate
GET       /dividends/runs/<id>/export/<bank|notice>.<xlsx|csv>   bank or public notice list
GET       /dividends/runs/<id>/statement/<household_id>/          printable household statement

Scope: accountants, the cooperative's supervisor (理事长/监事长) and subdistrict admins
read the runs of `cooperatives_signed_by`; only accountants and admins create, recompute
and export (`cooperatives_managed_by`, checked again by the services); who may approve a
run is `services.approval_refusal` (four-eyes: never its creator). Community staff and
villagers get 403 (villagers may read their own household's statement of an approved
run); a run outside the user's scope is a 404. Rules live in `dividends.services`; these
views only pick the run and call them.
"""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.scope import households_visible_to
from pinghu_points import jobs

from . import notice_views, presenters, run_jobs, selectors, services
from .forms import DividendRunForm, PoolsPreviewForm
from .models import DividendLine, DividendRun
from .money import exact_share, rounded

logger = logging.getLogger(__name__)

LINES_PER_PAGE = 50
HAS_LINES = (DividendRun.Status.COMPUTED, DividendRun.Status.APPROVED)
EXPORT_KINDS = {"bank": "bank", "notice": "notice"}
EXPORT_FORMATS = ("xlsx", "csv")


def _require_payer(user):
    if not user.may_pay:
        raise PermissionDenied(_("只有合作社会计和街道管理员可以操作分红"))


def _require_reader(user):
    if not user.may_read_runs:
        raise PermissionDenied(_("只有合作社会计、理事长/监事长和街道管理员可以查看分红方案"))


def _run_or_404(request, pk):
    _require_reader(request.user)
    return get_object_or_404(selectors.runs_for(request.user), pk=pk)


def _error_text(error):
    return "；".join(error.messages) if isinstance(error, ValidationError) else str(error)


def _enqueue(request, run, *, sent_message, done_message=None):
    """Send the computation (without a broker it runs right here) and say, in one
    message, what happened: `done_message` when it is already computed (the demo and any
    install without a broker), so the page never says 正在计算 above a bar at 100 %."""
    try:
        sent = run_jobs.dividend_run_enqueue(run=run)
    except Exception:  # eager mode: the run is marked failed, with the error, by the service
        logger.exception("dividend run %s could not be computed", run.pk)
        messages.error(request, _("计算失败，请查看方案页面上的错误信息"))
        return
    if sent is False:
        messages.warning(
            request,
            _(
                "第 %(version)s 版已保存，但任务队列暂时无法连接：队列恢复后会自动计算，"
                "不必重新创建。"
            )
            % {"version": run.version},
        )
    else:
        run.refresh_from_db(fields=["status"])
        computed = run.status == DividendRun.Status.COMPUTED
        messages.success(request, done_message if computed and done_message else sent_message)


@login_required
@require_GET
def run_list(request):
    _require_reader(request.user)
    runs = selectors.runs_for(request.user).order_by("cooperative__code", "-year", "-version")
    page = Paginator(runs, LINES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "dividends/run_list.html", {"page": page, "can_create": request.user.may_pay}
    )


@login_required
def run_create(request):
    _require_payer(request.user)
    form = DividendRunForm(request.POST or None, user=request.user)
    preview = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            preview = selectors.pools_preview(
                total=data["total"],
                incentive_mode=data["incentive_mode"],
                incentive_value=data["incentive_value"],
            )
            run = services.dividend_run_create(
                actor=request.user,
                cooperative=data["cooperative"],
                year=data["year"],
                total=data["total"],
                incentive_mode=data["incentive_mode"],
                incentive_value=data["incentive_value"],
                policy=data["policy"],
                parameters=form.parameters(),
                record_date=data["record_date"],
                # Recorded only when it was needed: above the ceiling.
                ceiling_confirmed=bool(data["ceiling_confirmed"] and preview["over_ceiling"]),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            _enqueue(
                request,
                run,
                sent_message=_("已创建 %(year)s 年分红方案第 %(version)s 版，正在计算")
                % {"year": run.year, "version": run.version},
                done_message=_("已创建 %(year)s 年分红方案第 %(version)s 版，已计算完成")
                % {"year": run.year, "version": run.version},
            )
            return redirect("dividends:run_detail", pk=run.pk)
    return render(
        request,
        "dividends/run_form.html",
        {
            "form": form,
            "preview": preview,
            "ceiling_percent": int(services.INCENTIVE_CEILING * 100),
        },
    )


@login_required
@require_GET
def pools_preview_json(request):
    _require_payer(request.user)
    form = PoolsPreviewForm(request.GET)
    if not form.is_valid():
        # The service's own messages for inputs it refuses (e.g. 100.001 yuan).
        problems = [message for errors in form.errors.values() for message in errors]
        return JsonResponse(
            {"error": "；".join(problems) or _("请填写有效的金额和比例")}, status=400
        )
    try:
        data = selectors.pools_preview(**form.cleaned_data)
    except ValidationError as error:
        return JsonResponse({"error": _error_text(error)}, status=400)
    return JsonResponse(data)


def _approval_context(request, run):
    """Who may approve the run, and what to say instead of the button when nobody here may."""
    refusal = services.approval_refusal(actor=request.user, run=run)
    approved = (
        services.approved_run_of_year(cooperative=run.cooperative, year=run.year)
        if run.status != DividendRun.Status.APPROVED
        else run
    )
    return {
        "can_approve": refusal is None,
        # Only worth saying on a run that is waiting for a signature.
        "approval_refusal": refusal if run.status == DividendRun.Status.COMPUTED else None,
        "year_approved_run": approved if approved is not None and approved.pk != run.pk else None,
        # The button only; the service checks again (`services.recompute_refusal`). A failed
        # run is computed again as the same version ("重新计算", run_retry).
        "can_recompute": request.user.may_pay
        and approved is None
        and run.status == DividendRun.Status.COMPUTED,
    }


@login_required
@require_GET
def run_detail(request, pk):
    run = _run_or_404(request, pk)
    computed = run.status in HAS_LINES
    differences = (
        selectors.score_differences(run) if run.status == DividendRun.Status.COMPUTED else []
    )
    previous = selectors.previous_approved_run(run) if computed else None
    return render(
        request,
        "dividends/run_detail.html",
        {
            "run": run,
            "computed": computed,
            "state": selectors.progress_state(run),
            "reconciliation": selectors.reconciliation(run),
            "comparison": selectors.last_year_comparison(run, previous) if previous else None,
            "differences": differences,
            "incentive_percent": rounded(exact_share(run.incentive_pool, 100, run.total), 2),
            "over_ceiling": services.exceeds_ceiling(
                total=run.total, incentive_pool=run.incentive_pool
            ),
            "ceiling_percent": int(services.INCENTIVE_CEILING * 100),
            **_approval_context(request, run),
            "can_retry": run_jobs.run_can_retry(run),
            "stall_hint": _stall_hint(run),
            "tiers": run.parameters.get("tiers") or [],
            "notice": notice_views.notice_panel(request, run),
            "exports": [
                (kind, label, file_format)
                for kind, label in (("bank", _("银行代发清单")), ("notice", _("公示清单")))
                for file_format in EXPORT_FORMATS
            ]
            if computed and request.user.may_pay
            else [],
        },
    )


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
            "can_retry": run_jobs.run_can_retry(run),
            "stalled": _stall_hint(run),
        }
    )


def _stall_hint(run):
    """The run page's words for a run that may have stalled (empty while it runs fine)."""
    stall = run_jobs.run_stall(run)
    return jobs.stall_message(stall, action=_("重新计算")) if stall else ""


@login_required
@require_http_methods(["GET", "POST"])
def run_approve(request, pk):
    """The approval page (GET) and the approval itself (POST, with the confirmation box)."""
    run = _run_or_404(request, pk)
    if request.method == "POST":
        if request.POST.get("confirm") != "on":
            messages.error(request, _("请勾选确认后再审批"))
            return redirect("dividends:run_approve", pk=run.pk)
        try:
            run = services.dividend_run_approve(actor=request.user, run=run)
        except ValidationError as error:
            messages.error(request, _("未能审批：%(reason)s") % {"reason": _error_text(error)})
            return redirect("dividends:run_approve", pk=run.pk)
        messages.success(request, _("已审批：本方案已冻结，可以导出银行代发清单"))
        return redirect("dividends:run_detail", pk=run.pk)
    previous = selectors.previous_approved_run(run) if run.status in HAS_LINES else None
    return render(
        request,
        "dividends/run_approve.html",
        {
            "run": run,
            "reconciliation": selectors.reconciliation(run),
            "differences": selectors.score_differences(run)
            if run.status == DividendRun.Status.COMPUTED
            else [],
            "previous": previous,
            "comparison": selectors.last_year_comparison(run, previous) if previous else None,
            "changes": selectors.largest_changes(run, previous),
            "new_households": selectors.new_households(run, previous),
            "largest_changes": selectors.LARGEST_CHANGES,
            **_approval_context(request, run),
            # Here the reason is shown whatever the status (the run page shows it only
            # on a run waiting for a signature).
            "approval_refusal": services.approval_refusal(actor=request.user, run=run),
        },
    )


@login_required
@require_POST
def run_recompute(request, pk):
    _require_payer(request.user)
    run = _run_or_404(request, pk)
    try:  # the service refuses what may not be recomputed (`recompute_refusal`)
        new_run = services.dividend_run_recompute(actor=request.user, run=run)
    except ValidationError as error:
        messages.error(request, _("未能重新计算：%(reason)s") % {"reason": _error_text(error)})
        return redirect("dividends:run_detail", pk=run.pk)
    _enqueue(
        request,
        new_run,
        sent_message=_("已按当前积分台账重新计算为第 %(version)s 版")
        % {"version": new_run.version},
    )
    return redirect("dividends:run_detail", pk=new_run.pk)


@login_required
@require_POST
def run_retry(request, pk):
    """ "重新计算" of a failed, unsent or stalled run: the same version, sent again."""
    run = _run_or_404(request, pk)
    try:
        run = run_jobs.dividend_run_retry(actor=request.user, run=run)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("dividends:run_detail", pk=run.pk)
    _enqueue(
        request,
        run,
        sent_message=_("第 %(version)s 版已重新开始计算") % {"version": run.version},
        done_message=_("第 %(version)s 版已重新计算完成") % {"version": run.version},
    )
    return redirect("dividends:run_detail", pk=run.pk)


@login_required
@require_GET
def run_lines(request, pk):
    run = _run_or_404(request, pk)
    query = request.GET.get("q", "").strip()[:50]
    sort, _field, descending = selectors.parse_sort(request.GET.get("sort"))
    lines, previous = selectors.run_lines(run, query=query, sort=sort)
    page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "dividends/run_lines.html",
        presenters.run_lines(
            run=run, page=page, query=query, sort=sort, descending=descending, previous=previous
        ),
    )


@login_required
@require_GET
def run_export(request, pk, kind, file_format):
    _require_payer(request.user)
    run = _run_or_404(request, pk)
    if kind not in EXPORT_KINDS or file_format not in EXPORT_FORMATS:
        raise Http404
    if run.status not in HAS_LINES:
        messages.error(request, _("方案计算完成后才能导出清单"))
        return redirect("dividends:run_detail", pk=run.pk)
    from . import exports

    content, filename, content_type = exports.export_run(
        run=run, kind=EXPORT_KINDS[kind], file_format=file_format
    )
    services.dividend_run_exported(
        actor=request.user, run=run, kind=EXPORT_KINDS[kind], file_format=file_format
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
@require_GET
def statement(request, pk, household_id):
    """A household's statement, from the line's snapshot: it reprints exactly as paid."""
    user = request.user
    lines = DividendLine.objects.select_related(
        "run", "run__cooperative", "run__approved_by", "run__created_by"
    )
    if user.is_villager:
        line = get_object_or_404(
            lines,
            run_id=pk,
            household_id=household_id,
            household__in=households_visible_to(user),
            run__status=DividendRun.Status.APPROVED,
        )
    else:
        run = _run_or_404(request, pk)
        line = get_object_or_404(lines, run=run, household_id=household_id)
    back_url = (
        reverse("dividends:run_lines", args=[line.run_id])
        if not user.is_villager
        else reverse("home")
    )
    return render(
        request,
        "dividends/statement.html",
        {
            "line": line,
            "run": line.run,
            "why": selectors.statement_explanation(line, line.run),
            "back_url": back_url,
        },
    )
