import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from accounts.scope import cooperatives_managed_by
from pinghu_points.exports import XLSX_CONTENT_TYPE
from pinghu_points.parameters import parse_id
from pinghu_points.spreadsheets import too_large

from .import_forms import HouseholdImportForm
from .import_jobs import (
    job_errors,
    preview_hours,
    register_import_confirm,
    register_preview_cancel,
    register_preview_start,
)
from .models import ImportJob
from .samples import register_sample

SAMPLE_FILE = settings.BASE_DIR / "docs" / "samples" / "households.xlsx"
# Room for the form's other fields and the multipart boundaries around the file.
MULTIPART_OVERHEAD = 64 * 1024


def refuse_large_uploads(view):
    """Refuse an upload larger than IMPORT_MAX_FILE_BYTES before its body is read.

    The CSRF check would read the body (the token is a form field), so it runs after this
    check: exempt here, enforced on the view itself.
    """
    protected = csrf_protect(view)

    @csrf_exempt
    def wrapper(request, *args, **kwargs):
        if request.method == "POST":
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.IMPORT_MAX_FILE_BYTES + MULTIPART_OVERHEAD:
                message = too_large(length)
                return render(request, "upload_too_large.html", {"message": message}, status=413)
        return protected(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def import_page_context(outcome):
    """The template context for a refused import: the first errors, their count, the report."""
    from pinghu_points.spreadsheets import shown_errors

    return {
        "import_errors": shown_errors(outcome.errors),
        "import_error_count": len(outcome.errors),
        "import_report": outcome.job,
    }


def _preview_context(job):
    return {"preview_job": job, "preview_hours": preview_hours()}


def _refused_job_context(job):
    from pinghu_points.spreadsheets import shown_errors

    return {
        "import_errors": shown_errors(job_errors(job)),
        "import_error_count": job.error_count,
        "import_report": job,
    }


def household_import_form(request, *, success_url, context):
    """The import page's GET/POST, shared by the site page and the admin.

    Two steps: an upload is checked and counted (`register_preview_start`, nothing
    written) and the page shows the preview; the preview's confirmation
    (`preview_job` + `confirm`) writes it, all or nothing (`register_import_confirm`).
    Only cooperatives the user manages are offered, and a posted one outside them
    fails form validation, so an import never reaches another cooperative.
    """
    cooperatives = cooperatives_managed_by(request.user)
    if not cooperatives.exists():
        raise PermissionDenied
    if request.method == "POST" and "preview_job" in request.POST:
        return _confirm(request, cooperatives, success_url=success_url, context=context)
    form = HouseholdImportForm(
        request.POST or None, request.FILES or None, cooperatives=cooperatives
    )
    extra = {"import_errors": []}
    if request.method == "POST" and form.is_valid():
        job = register_preview_start(
            user=request.user,
            file=form.cleaned_data["file"],
            cooperative=form.cleaned_data["cooperative"],
            effective_on=form.cleaned_data["effective_on"],
        )
        if job.status == ImportJob.Status.PREVIEW:
            extra = _preview_context(job)
        elif job.status == ImportJob.Status.FAILED:
            extra = _refused_job_context(job)
        else:
            return redirect("villages:import_job", pk=job.pk)
    return render(
        request,
        "villages/household_import.html",
        {"form": form, "base_template": "base.html", **extra, **context},
    )


def _confirm(request, cooperatives, *, success_url, context):
    job_id = parse_id(request.POST.get("preview_job", ""))
    job = get_object_or_404(
        ImportJob.objects.filter(
            kind=ImportJob.Kind.REGISTER, user=request.user, cooperative__in=cooperatives
        ),
        pk=job_id or 0,
    )
    form = HouseholdImportForm(cooperatives=cooperatives)
    if "cancel" in request.POST:
        register_preview_cancel(job=job)
        messages.success(request, _("已取消导入：未写入任何数据，上传的文件已删除"))
        return redirect(request.path)
    if job.status == ImportJob.Status.PREVIEW and not request.POST.get("confirm"):
        messages.error(request, _("请勾选确认后再导入"))
        extra = _preview_context(job)
    else:
        job = register_import_confirm(job=job)
        if job.status == ImportJob.Status.DONE:
            messages.success(
                request,
                _("已导入 %(households)s 户股东户、%(movements)s 条股权登记")
                % {
                    "households": job.result["households"],
                    "movements": job.result["share_movements"],
                },
            )
            return redirect(success_url)
        if job.status == ImportJob.Status.CANCELLED:
            messages.error(request, _("这份预览已过期或已取消，未导入任何数据，请重新上传文件"))
            return redirect(request.path)
        if job.status != ImportJob.Status.FAILED:
            return redirect("villages:import_job", pk=job.pk)
        extra = _refused_job_context(job)
    return render(
        request,
        "villages/household_import.html",
        {"form": form, "base_template": "base.html", **extra, **context},
    )


@login_required
@refuse_large_uploads
def household_import(request):
    return household_import_form(request, success_url="villages:household_list", context={})


@login_required
def household_import_sample(request):
    """The sample register made for a cooperative the user manages, which imports as it is
    (villages/samples.py): `?cooperative=<id>`, by default the first one.

    Refused like the import page to anyone who manages none; another cooperative's id is
    404. Only when there is not a single community to live in is it the generic file.
    """
    cooperatives = cooperatives_managed_by(request.user)
    cooperative = cooperatives.first()
    if cooperative is None:
        raise PermissionDenied
    if asked := request.GET.get("cooperative"):
        cooperative_id = parse_id(asked)
        cooperative = cooperatives.filter(pk=cooperative_id).first() if cooperative_id else None
        if cooperative is None:
            raise Http404
    sample = register_sample(cooperative)
    if sample is None:
        return FileResponse(
            open(SAMPLE_FILE, "rb"), as_attachment=True, filename="股东名册样例.xlsx"
        )
    return FileResponse(
        io.BytesIO(sample.xlsx()),
        as_attachment=True,
        filename=sample.filename,
        content_type=XLSX_CONTENT_TYPE,
    )
