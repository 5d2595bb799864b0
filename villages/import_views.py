from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.scope import cooperatives_managed_by

from .import_forms import HouseholdImportForm
from .importing import RegisterImportError, household_register_import

SAMPLE_FILE = settings.BASE_DIR / "docs" / "samples" / "households.xlsx"


def household_import_form(request, *, success_url, context):
    """The import page's GET/POST, shared by the site page and the admin.

    Only cooperatives the user manages are offered, and a posted one outside them
    fails form validation, so an import never reaches another cooperative.
    """
    cooperatives = cooperatives_managed_by(request.user)
    if not cooperatives.exists():
        raise PermissionDenied
    form = HouseholdImportForm(
        request.POST or None, request.FILES or None, cooperatives=cooperatives
    )
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            result = household_register_import(
                cooperative=form.cleaned_data["cooperative"],
                file=form.cleaned_data["file"],
                actor=request.user,
                effective_on=form.cleaned_data["effective_on"],
            )
        except RegisterImportError as error:
            errors = error.errors
        else:
            messages.success(
                request,
                _("已导入 %(households)s 户股东户、%(movements)s 条股权登记")
                % {"households": result.households, "movements": result.share_movements},
            )
            return redirect(success_url)
    return render(
        request,
        "villages/household_import.html",
        {"form": form, "import_errors": errors, "base_template": "base.html", **context},
    )


@login_required
def household_import(request):
    return household_import_form(request, success_url="villages:household_list", context={})


@login_required
def household_import_sample(request):
    """The sample register, so a user starts from a file with the right header."""
    return FileResponse(open(SAMPLE_FILE, "rb"), as_attachment=True, filename="股东名册样例.xlsx")
