from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from . import selectors


class LoginForm(AuthenticationForm):
    """Django's login form, refusing an issued password left unused for too long."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        from .services import issued_password_expired

        if issued_password_expired(user):
            raise ValidationError(
                _("初始密码已过期：发放超过 %(days)s 天仍未修改。请到社区或合作社重新领取密码。"),
                code="issued_password_expired",
                params={"days": settings.ISSUED_PASSWORD_VALID_DAYS},
            )


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        from .services import user_password_changed

        user_password_changed(user=self.request.user)
        return response


@login_required
def home(request):
    user = request.user
    if user.must_change_password:
        return redirect("accounts:password_change")
    context = selectors.home_summary(user=user)
    return render(request, "home.html", context)


class AuditFilterForm(forms.Form):
    action = forms.CharField(required=False)
    actor = forms.CharField(required=False)
    object_type = forms.CharField(required=False)
    household = forms.IntegerField(required=False, min_value=1)
    date_from = forms.DateField(required=False)
    date_to = forms.DateField(required=False)


AUDIT_EXPORT_LIMIT = 50000


@login_required
def audit_list(request):
    """The readable audit trail (docs/overview.md): labels, names, links, sentences, filters."""
    if not request.user.is_subdistrict_admin:
        raise PermissionDenied
    from villages.models import Household

    from . import audit_display

    form = AuditFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    household = None
    if data.get("household"):
        household = Household.objects.filter(pk=data["household"]).first()
    records = selectors.audit_records(
        action=data.get("action") or "",
        actor=data.get("actor") or "",
        object_type=data.get("object_type") or "",
        household=household,
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )
    if data.get("household") and household is None:
        records = records.none()
    if request.GET.get("format") == "xlsx":
        return _audit_xlsx(audit_display.readable(records[:AUDIT_EXPORT_LIMIT]))
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/audit_list.html",
        {
            "page": page,
            "rows": audit_display.readable(page),
            "actions": audit_display.action_choices(selectors.audit_actions()),
            "filters": request.GET,
            "household": household,
            "export_query": request.GET.urlencode(),
        },
    )


def _audit_xlsx(rows):
    from django.utils import timezone

    from communities.overview_xlsx import workbook_response

    header = [
        _("时间"),
        _("操作人"),
        _("角色"),
        _("操作人账号"),
        _("来源地址"),
        _("操作"),
        _("对象"),
        _("详情"),
    ]
    lines = [
        [
            timezone.localtime(row["record"].at).strftime("%Y-%m-%d %H:%M:%S"),
            row["actor"],
            row["role"],
            row["record"].actor_username,
            row["record"].ip_address or "",
            row["action"],
            row["record"].object_repr,
            "；".join(row["details"]),
        ]
        for row in rows
    ]
    return workbook_response(filename="audit.xlsx", sheets=[(_("审计记录"), header, lines)])
