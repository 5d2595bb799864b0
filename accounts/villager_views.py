"""Villager logins: issuing the initial password, the lockout page and the lockouts list.

See docs/villagers.md, "账号与登录".
"""

import ipaddress
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import backends, services
from .models import User
from .scope import households_login_keepable_by, keeps_villager_logins, logins_unlockable_by

# The issued password waits here between the POST and the one page that shows it.
ISSUED_SESSION_KEY = "villager_password_issued"


def _card_print_url(household):
    """The printable point card, with the QR code that opens the login page."""
    return f"{reverse('card:print')}?household={household.pk}"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def villager_password(request, household_id):
    """Issue (or reissue) the initial password of a household's villager login.

    GET asks for confirmation; POST issues and redirects back here, where the password is
    shown exactly once: it is taken out of the session as the page is drawn.
    """
    if not keeps_villager_logins(request.user):
        # The supervisor, the bank and villagers never keep villager logins.
        raise PermissionDenied
    household = get_object_or_404(
        households_login_keepable_by(request.user).select_related("cooperative", "community"),
        pk=household_id,
    )
    if request.method == "POST":
        try:
            login, password = services.villager_password_issue(
                actor=request.user, household=household
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            request.session[ISSUED_SESSION_KEY] = {
                "household": household.pk,
                "username": login.username,
                "password": password,
            }
        return redirect("accounts:villager_password", household_id=household.pk)

    issued = request.session.get(ISSUED_SESSION_KEY)
    if issued and issued.get("household") == household.pk:
        del request.session[ISSUED_SESSION_KEY]
    else:
        issued = None
    existing = User.objects.filter(
        username__iexact=household.card_number, household=household, role=User.Role.VILLAGER
    ).first()
    return render(
        request,
        "accounts/villager_password.html",
        {
            "household": household,
            "existing": existing,
            "issued": issued,
            "card_print_url": _card_print_url(household),
            "login_url": request.build_absolute_uri(
                f"{reverse('accounts:login')}?{urlencode({'card': household.card_number})}"
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def lockout_list(request):
    """Accounts (and, for the admin, addresses) locked out now, with an unlock button."""
    user = request.user
    if not keeps_villager_logins(user):
        raise PermissionDenied
    if request.method == "POST":
        return _lift(request)

    accounts = backends.current_lockouts("username")
    logins = {
        login.username: login
        for login in User.objects.filter(username__in=[row["key"] for row in accounts])
        .select_related("household__cooperative", "household__community")
        .order_by()
    }
    in_scope = set(
        logins_unlockable_by(user).filter(username__in=logins).values_list("username", flat=True)
    )
    # A name that is nobody's login is nobody's town's: those who lift any lockout see it.
    accounts = [
        row
        for row in accounts
        if row["key"] in in_scope or (user.may_lift_any_lockout and row["key"] not in logins)
    ]
    for row in accounts:
        row["login"] = logins.get(row["key"])
    return render(
        request,
        "accounts/lockouts.html",
        {
            "accounts": accounts,
            "addresses": backends.current_lockouts("ip_address")
            if user.may_lift_any_lockout
            else [],
            "failure_limit": backends.failure_limit(),
            "cooloff_minutes": _cooloff_minutes(),
        },
    )


def _lift(request):
    username = request.POST.get("username", "").strip()
    ip_address = request.POST.get("ip_address", "").strip()
    if ip_address:
        if not request.user.may_lift_any_lockout:
            raise PermissionDenied
        try:
            ip_address = str(ipaddress.ip_address(ip_address))
        except ValueError:
            raise Http404 from None
    elif not username or not services.may_lift_lockout(actor=request.user, username=username):
        # Outside the viewer's scope the account does not exist, as on every other page.
        raise Http404
    services.lockout_lift(actor=request.user, username=username or None, ip_address=ip_address)
    messages.success(
        request,
        _("已解除 %(who)s 的登录锁定。") % {"who": ip_address or username},
    )
    return redirect("accounts:lockouts")


def _cooloff_minutes():
    cool_off = settings.AXES_COOLOFF_TIME
    return int(cool_off.total_seconds() // 60) if cool_off else None


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: what a locked-out login attempt gets back (HTTP 429)."""
    minutes = _cooloff_minutes()
    if request.path_info.startswith("/api/") or (
        request.headers.get("x-requested-with") == "XMLHttpRequest"
    ):
        return JsonResponse(
            {
                "detail": _("登录失败次数过多，已暂时锁定。"),
                "code": "locked_out",
                "cooloff_minutes": minutes,
            },
            status=429,
        )
    from .selectors import login_help

    typed = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD) or request.POST.get(
        settings.AXES_USERNAME_FORM_FIELD, ""
    )
    return render(
        request,
        "accounts/lockout.html",
        {
            "failure_limit": backends.failure_limit(),
            "cooloff_minutes": minutes,
            "unlock_help": login_help(username=typed) if typed else None,
        },
        status=429,
    )
