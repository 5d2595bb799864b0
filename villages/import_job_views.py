"""An Excel import job's page, its progress (JSON), its error report (.xlsx) and
"重新导入" (POST) of a job that stalled or was interrupted.

Only the user who started the import sees any of them: another user gets 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pinghu_points import jobs
from pinghu_points.spreadsheets import error_report_xlsx, shown_errors

from . import import_jobs
from .import_jobs import job_errors
from .models import ImportJob

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _own_job(request, pk):
    return get_object_or_404(ImportJob.objects.defer("content"), pk=pk, user=request.user)


@login_required
@require_GET
def import_job_detail(request, pk):
    job = _own_job(request, pk)
    errors = job_errors(job)
    return render(
        request,
        "villages/import_job.html",
        {
            "job": job,
            "import_errors": shown_errors(errors),
            "import_error_count": job.error_count,
            "import_report": job if job.error_count else None,
            "can_retry": import_jobs.job_can_retry(job),
            "stall_hint": _stall_hint(job),
            "preview_hours": import_jobs.preview_hours(),
        },
    )


def _stall_hint(job):
    stall = import_jobs.job_stall(job)
    return jobs.stall_message(stall, action=_("重新导入")) if stall else ""


@login_required
@require_GET
def import_job_progress(request, pk):
    job = _own_job(request, pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "progress": 100 if job.settled else job.progress,
            "done": job.settled,
            "can_retry": import_jobs.job_can_retry(job),
            "stalled": _stall_hint(job),
        }
    )


@login_required
@require_POST
def import_job_retry(request, pk):
    """ "重新导入": the same file sent again (a stalled, unsent or interrupted job)."""
    job = _own_job(request, pk)
    try:
        job = import_jobs.import_job_retry(actor=request.user, job=job)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("villages:import_job", pk=job.pk)
    if import_jobs.import_job_send(job=job):
        messages.success(request, _("已重新开始导入"))
    else:
        messages.warning(
            request,
            _("任务队列暂时无法连接：文件已保存，队列恢复后会自动导入，不必重新上传。"),
        )
    return redirect("villages:import_job", pk=job.pk)


@login_required
@require_GET
def import_job_errors(request, pk):
    job = _own_job(request, pk)
    response = HttpResponse(error_report_xlsx(job.errors), content_type=XLSX)
    filename = _("导入错误报告-%(id)s.xlsx") % {"id": job.pk}
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
