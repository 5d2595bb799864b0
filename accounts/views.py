from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from pinghu_points.exports import xlsx_response

from . import selectors
from .scope import audit_records_visible_to, households_visible_to


class LoginForm(AuthenticationForm):
    """Django's login form, refusing an issued password left unused for too long.

    Its "wrong password" message says what is true here: the card number may be typed in
    any case (Django's default says both fields may be case-sensitive)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _lazy("卡号（账号）或密码不对。卡号不区分大小写，请检查密码后再试。"),
    }

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
    """The login page, also what the QR code of a printed point card opens (``?card=``).

    A villager logs in with the card. A staff member who may score the card's household
    (already logged in, or logging in from that page) goes to its scoring screen.
    """

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def _card_scoring_url(self, user):
        from django.urls import reverse

        from villages.selectors import household_by_card

        from .scope import households_scorable_by

        card = (self.request.GET.get("card") or "").strip()[:150]
        if not card or user.is_villager:
            return None
        household = household_by_card(households_scorable_by(user), card)
        if household is None:
            return None
        return reverse("communities:door_household", args=[household.pk])

    def get_success_url(self):
        return self._card_scoring_url(self.request.user) or super().get_success_url()

    def form_invalid(self, form):
        """After a failed login: how many attempts are left before the lock, and who can
        lift it (docs/villagers.md, "登录失败时的提示")."""
        from . import backends
        from .middleware import client_address

        typed = form.data.get("username", "")
        counts = backends.failure_counts(
            username=backends.canonical_username(typed) if typed else None,
            ip_address=client_address(self.request),
        )
        limit = backends.failure_limit()
        left = max(limit - max(counts["username"], counts["ip_address"]), 0)
        return self.render_to_response(
            self.get_context_data(
                form=form,
                attempts_left=left,
                failure_limit=limit,
                unlock_help=selectors.login_help(username=typed) if typed else None,
            )
        )


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        first_change = self.request.user.must_change_password
        response = super().form_valid(form)
        from .services import user_password_changed

        user_password_changed(user=self.request.user)
        messages.success(
            self.request,
            _("密码已修改。以后请用新密码登录，初始密码不再有效。")
            if first_change
            else _("密码已修改。"),
        )
        return response


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
    if not request.user.may_read_audit:
        raise PermissionDenied

    from . import audit_display

    form = AuditFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    household = None
    if data.get("household"):
        household = households_visible_to(request.user).filter(pk=data["household"]).first()
    records = selectors.audit_records(
        action=data.get("action") or "",
        actor=data.get("actor") or "",
        object_type=data.get("object_type") or "",
        household=household,
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    ).filter(pk__in=audit_records_visible_to(request.user).values("pk"))
    if data.get("household") and household is None:
        records = records.none()
    if request.GET.get("format") == "xlsx":
        rows = audit_display.readable(records[:AUDIT_EXPORT_LIMIT])
        return xlsx_response(filename="audit.xlsx", sheets=[audit_display.audit_sheet(rows)])
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
