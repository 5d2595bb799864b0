"""An Excel import job's page, its progress (JSON) and its error report (.xlsx).

Only the user who started the import sees any of them: another user gets 404.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from pinghu_points.spreadsheets import error_report_xlsx, shown_errors

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
        },
    )


@login_required
@require_GET
def import_job_progress(request, pk):
    job = _own_job(request, pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "progress": 100 if job.finished else job.progress,
            "done": job.finished,
        }
    )


@login_required
@require_GET
def import_job_errors(request, pk):
    job = _own_job(request, pk)
    response = HttpResponse(error_report_xlsx(job.errors), content_type=XLSX)
    filename = _("导入错误报告-%(id)s.xlsx") % {"id": job.pk}
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
