from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.scope import (
    households_payable_by,
)

from . import services
from .forms import ShareTransferForm
from .models import Household


@login_required
def share_transfer(request, pk):
    source = get_object_or_404(households_payable_by(request.user), pk=pk)
    form = ShareTransferForm(request.POST or None, household=source)
    if request.method == "POST" and form.is_valid():
        target = Household.objects.filter(
            cooperative=source.cooperative, number=form.cleaned_data["target_number"]
        ).first()
        if target is None:
            form.add_error("target_number", _("本合作社没有这个户号"))
        else:
            try:
                services.share_transfer(
                    source=source,
                    target=target,
                    share_class=form.cleaned_data["share_class"],
                    quantity=form.cleaned_data["quantity"],
                    effective_on=form.cleaned_data["effective_on"],
                    reason=form.cleaned_data["reason"],
                    inheritance=form.cleaned_data["inheritance"],
                    actor=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("股权变动已登记"))
                return redirect("villages:household_detail", pk=source.pk)
    return render(request, "villages/share_transfer.html", {"household": source, "form": form})
