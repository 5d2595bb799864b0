"""Setting up a town from the town spreadsheet (docs/towns.md, "The town spreadsheet"):
upload → preview (nothing written) → confirm, and the sample file. The administrator's
page (`User.may_set_up_towns`); anyone else gets 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from pinghu_points.exports import XLSX_CONTENT_TYPE
from pinghu_points.parameters import parse_id
from pinghu_points.spreadsheets import shown_errors

from .import_forms import TownImportForm
from .import_jobs import job_errors, preview_hours, register_preview_cancel
from .import_views import refuse_large_uploads
from .models import ImportJob
from .town_import import TOWN_FORMAT, town_import_confirm, town_preview_start
from .town_samples import town_sample


def _may_set_up_towns(user):
    if not user.may_set_up_towns:
        raise PermissionDenied


def _render(request, form, **extra):
    return render(
        request,
        "villages/town_import.html",
        {"form": form, "town_format": TOWN_FORMAT, "preview_hours": preview_hours(), **extra},
    )


def _refused(job):
    return {
        "import_errors": shown_errors(job_errors(job)),
        "import_error_count": job.error_count,
        "import_report": job,
    }


@login_required
@refuse_large_uploads
def town_import(request):
    _may_set_up_towns(request.user)
    if request.method == "POST" and "preview_job" in request.POST:
        return _confirm(request)
    form = TownImportForm(request.POST or None, request.FILES or None)
    extra = {}
    if request.method == "POST" and form.is_valid():
        job = town_preview_start(user=request.user, file=form.cleaned_data["file"])
        extra = {"preview_job": job} if job.status == ImportJob.Status.PREVIEW else _refused(job)
    return _render(request, form, **extra)


def _confirm(request):
    job_id = parse_id(request.POST.get("preview_job", ""))
    job = get_object_or_404(
        ImportJob.objects.filter(kind=ImportJob.Kind.TOWN, user=request.user), pk=job_id or 0
    )
    if "cancel" in request.POST:
        register_preview_cancel(job=job)
        messages.success(request, _("已取消导入：未写入任何数据，上传的文件已删除"))
        return redirect("villages:town_import")
    if job.status != ImportJob.Status.PREVIEW:
        messages.error(request, _("这份预览已过期或已取消，未导入任何数据，请重新上传文件"))
        return redirect("villages:town_import")
    if not request.POST.get("confirm"):
        messages.error(request, _("请勾选确认后再导入"))
        return _render(request, TownImportForm(), preview_job=job)
    job = town_import_confirm(job=job, actor=request.user)
    if job.status == ImportJob.Status.DONE:
        result = job.result
        messages.success(
            request,
            _(
                "已设置%(town)s：%(villages)s 个村（合作社）、%(communities)s 个社区、"
                "%(grids)s 个微网格。股东户请按合作社用股东名册导入。"
            )
            % {
                "town": result["town"]["name"],
                "villages": result["villages"],
                "communities": result["communities"],
                "grids": result["micro_grids"],
            },
        )
        return redirect("villages:town_import")
    if job.status == ImportJob.Status.FAILED:
        return _render(request, TownImportForm(), **_refused(job))
    messages.error(request, _("这份预览已过期或已取消，未导入任何数据，请重新上传文件"))
    return redirect("villages:town_import")


@login_required
@require_GET
def town_import_sample(request):
    """The sample town spreadsheet, made for this database so that it imports unchanged."""
    _may_set_up_towns(request.user)
    filename, content = town_sample()
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
