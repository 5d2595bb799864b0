"""The bank's window (善治金融) and the consent flow (docs/bank.md).

GET  /bank/                          the bank officer: consenting households, look-up form
GET  /bank/lookup/?id_number=        the bank officer: one head by the full ID number
GET  /bank/export/                   the bank officer: the consenting list (xlsx)
GET  /bank/desk/<household_id>/      staff at the community desk: the household's consents
POST /bank/desk/<household_id>/      staff (with the signed form's photo) or the villager
                                     (from the card): consent given
POST /bank/consents/<consent_id>/withdraw/   withdrawn at once
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.lookup_limits import LookupRefused
from pinghu_points.exports import XLSX_CONTENT_TYPE, xlsx_bytes

from . import exports, selectors, services
from .forms import ConsentForm, LookupForm
from .models import Bank, Consent

PER_PAGE = 50


def _require_bank(user):
    if not user.is_bank:
        raise PermissionDenied(_("只有合作银行的信贷员可以查看这里"))


@login_required
@require_GET
def bank_home(request):
    user = request.user
    _require_bank(user)
    paginator = Paginator(selectors.consenting_households(user=user), PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    rows = selectors.bank_rows(
        households=selectors.consenting_households(user=user).filter(
            pk__in=[household.pk for household in page.object_list]
        )
    )
    services.bank_looked(user=user, kind="list", household_ids=[row.household_id for row in rows])
    return render(
        request,
        "banking/bank_home.html",
        {
            "page": page,
            "rows": rows,
            "years": selectors.bank_years(),
            "grades": selectors.credit_grades(),
            "form": LookupForm(),
        },
    )


@login_required
@require_GET
def bank_lookup(request):
    user = request.user
    _require_bank(user)
    form = LookupForm(data=request.GET or None)
    result = refusal = None
    if form.is_valid():
        try:
            result = services.bank_id_lookup(user=user, id_number=form.cleaned_data["id_number"])
        except LookupRefused as refused:
            refusal = refused.refusal
    response = render(
        request,
        "banking/bank_lookup.html",
        {"form": form, "result": result, "refusal": refusal, "years": selectors.bank_years()},
        status=429 if refusal else 200,
    )
    if refusal:
        response["Retry-After"] = str(refusal.retry_after)
    return response


@login_required
@require_GET
def bank_export(request):
    user = request.user
    _require_bank(user)
    rows = selectors.bank_rows(households=selectors.consenting_households(user=user))
    sheet = exports.consenting_sheet(bank=user.bank, rows=rows, years=selectors.bank_years())
    services.bank_looked(user=user, kind="export", household_ids=[row.household_id for row in rows])
    response = HttpResponse(xlsx_bytes(sheet), content_type=XLSX_CONTENT_TYPE)
    filename = f"{user.bank.code}-consenting-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _back(request, household):
    """Where the consent forms return: the villager to their card, staff to the desk page."""
    if request.user.is_villager:
        return reverse("card:mine")
    return reverse("banking:desk", args=[household.pk])


@login_required
@require_http_methods(["GET", "POST"])
def consent_desk(request, household_id):
    user = request.user
    household = get_object_or_404(selectors.desk_households(user=user), pk=household_id)
    banks = Bank.objects.order_by("code")
    form = ConsentForm(
        data=request.POST or None,
        files=request.FILES or None,
        banks=banks,
        at_desk=not user.is_villager,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.consent_give(
                household=household,
                bank=data["bank"],
                actor=user,
                starts_on=data.get("starts_on"),
                ends_on=data.get("ends_on"),
                form_photo=data.get("form_photo"),
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            messages.success(request, _("已登记授权：银行自授权开始日期起可以查看这一户的积分"))
            return redirect(_back(request, household))
        if user.is_villager:
            for error in form.errors.values():
                messages.error(request, " ".join(error))
            return redirect(_back(request, household))
    if user.is_villager and request.method == "GET":
        return redirect(_back(request, household))
    return render(
        request,
        "banking/consent_desk.html",
        {
            "household": household,
            "form": form,
            "history": selectors.consent_history(household=household),
            "card": selectors.card_consent(household=household, user=user),
        },
    )


@login_required
@require_POST
def consent_withdraw(request, consent_id):
    user = request.user
    consent = get_object_or_404(
        Consent.objects.filter(household__in=selectors.desk_households(user=user)),
        pk=consent_id,
    )
    services.consent_withdraw(consent=consent, actor=user)
    messages.success(request, _("已撤回授权：银行从现在起看不到这一户"))
    return redirect(_back(request, consent.household))
