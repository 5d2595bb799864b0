import ipaddress

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .services import audit_context


class AuditContextMiddleware:
    """Remembers the request's address so every audited write can name it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_context(request=request):
            return self.get_response(request)


def client_address(request):
    """The address of the client, as the audit trail and django-axes record it.

    Without trusted proxies (`TRUSTED_PROXY_COUNT=0`) it is the connection's peer,
    `REMOTE_ADDR`; `X-Forwarded-For` is ignored, since the client writes it.

    Behind N trusted proxies each one appends the address it received the request from
    to `X-Forwarded-For`, so the N-th hop counted from the right was written by the
    outermost trusted proxy and is the client. Everything left of it came from the
    client and may be forged. A header with fewer hops than N (a proxy bypassed) gives
    its left-most hop, which a trusted proxy still wrote. A hop that is not an IP
    address gives `REMOTE_ADDR`.
    """
    peer = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return peer
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if not hops:
        return peer
    hop = hops[-count] if len(hops) >= count else hops[0]
    try:
        return str(ipaddress.ip_address(hop))
    except ValueError:
        return peer


# The idle clock is wound forward at most once a minute, not on every request.
SESSION_TOUCH_KEY = "_staff_session_touched"
SESSION_TOUCH_EVERY = 60


def session_idle_limit(user):
    """Seconds without a request after which this user's session ends.

    Staff, accountants and administrators work on shared office PCs and can change data:
    `STAFF_SESSION_IDLE_MINUTES`. Villagers keep `SESSION_COOKIE_AGE` (two weeks) on their
    own phones.
    """
    if getattr(user, "is_villager", False):
        return settings.SESSION_COOKIE_AGE
    return settings.STAFF_SESSION_IDLE_MINUTES * 60


def touch_session(request, user, *, force=False):
    """Start or wind forward the idle clock of a staff member's session."""
    import time

    if getattr(user, "is_villager", False) or not hasattr(request, "session"):
        return
    now = int(time.time())
    last = request.session.get(SESSION_TOUCH_KEY)
    if force or not isinstance(last, int) or now - last >= SESSION_TOUCH_EVERY:
        request.session[SESSION_TOUCH_KEY] = now
        request.session.set_expiry(session_idle_limit(user))


class StaffSessionIdleMiddleware:
    """A staff session ends after `STAFF_SESSION_IDLE_MINUTES` without a request.

    Placed after AuthenticationMiddleware. The session's expiry is set to the idle limit
    and moved forward as the user works (at most once a minute); the session store then
    refuses the session once the user has been away longer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            touch_session(request, user)
        return self.get_response(request)


class ChineseFirstLocaleMiddleware:
    """Chinese unless the user chose another language with the switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language; many
    phones and office PCs here send English ones, and our users read Chinese first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = dict(settings.LANGUAGES)
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ["Cookie"])
        response.headers.setdefault("Content-Language", language)
        return response


class ForcePasswordChangeMiddleware:
    """A user who must change the password (an issued one) may do only that.

    Open to them: the password change page, logout, static files and the language
    switch. Pages redirect to the password change page; the API answers 403 in JSON.
    Placed after AuthenticationMiddleware.
    """

    API_PREFIX = "/api/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _must_change_password(request) and _issued_password_expired(request):
            # Logged in with an issued password and never changed it in time: the session
            # ends with the password; logging in again explains why.
            from django.contrib.auth import logout

            logout(request)
        if _must_change_password(request) and not self._is_open(request):
            return self._refuse(request)
        response = self.get_response(request)
        # The API may authenticate inside the view (HTTP Basic): DRF then sets request.user
        # only now. Withhold the answer from such a user too.
        if self._is_api(request) and response.status_code < 400 and _must_change_password(request):
            return self._refuse(request)
        return response

    def _is_api(self, request):
        return request.path_info.startswith(self.API_PREFIX)

    def _is_open(self, request):
        from django.urls import reverse

        open_pages = (
            reverse("accounts:password_change"),
            reverse("accounts:logout"),
            reverse("set_language"),
        )
        return request.path in open_pages or request.path.startswith(settings.STATIC_URL)

    def _refuse(self, request):
        from django.http import JsonResponse
        from django.shortcuts import redirect
        from django.utils.translation import gettext

        if self._is_api(request):
            return JsonResponse(
                {
                    "detail": gettext("请先修改初始密码。"),
                    "code": "password_change_required",
                },
                status=403,
            )
        return redirect("accounts:password_change")


def _issued_password_expired(request):
    from .services import issued_password_expired

    return issued_password_expired(request.user)


def _must_change_password(request):
    user = getattr(request, "user", None)
    return bool(
        user is not None and user.is_authenticated and getattr(user, "must_change_password", False)
    )
