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
    if user.is_bank:  # the bank officer's only page is the bank's window
        return redirect("banking:home")
    context = selectors.home_summary(user=user)
    return render(request, "home.html", context)


@login_required
def audit_list(request):
    if not request.user.is_subdistrict_admin:
        raise PermissionDenied
    records = selectors.audit_records(
        action=request.GET.get("action", ""),
        actor=request.GET.get("actor", ""),
        object_type=request.GET.get("object_type", ""),
    )
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/audit_list.html",
        {"page": page, "actions": selectors.audit_actions(), "filters": request.GET},
    )
