"""Token authentication and throttling of programs on /api/v1/ (docs/api.md, "Tokens",
"Rates"); the tokens themselves are `banking.models.ApiToken` rows made in the admin.

`Authorization: Bearer ph_…`. The key's sha256 is looked up on every request, so a token
revoked in the admin is refused from the very next request (no cache). A user token acts
as its user (that user's scope applies; an inactive user's token is refused); a bank token
acts as an unsaved bank principal that reaches only the bank's consenting households.

Throttling per API token: requests made with a token count against that token, whoever
else uses the API; session and password requests are not throttled here. The rate is
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"] (API_TOKEN_RATE). The counters live in
the "throttle" cache: shared by every web process when THROTTLE_CACHE_URL points at Redis
(settings). With Redis down a token request answers 503, as with any dependency that is
down (pinghu_points/errors.py).
"""

from django.core.cache import caches
from django.utils import timezone
from django.utils.connection import ConnectionProxy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import User
from banking.models import ApiToken, token_hash

KEYWORD = "Bearer"


def bank_principal(token):
    """The caller a bank token stands for: a bank officer of the token's bank, unsaved (it
    has no password, no session and no row); its audit lines carry the token's name."""
    return User(
        username=f"token:{token.name}"[:150],
        role=User.Role.BANK,
        bank=token.bank,
        is_active=True,
    )


class TokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("令牌格式不对：应为 Bearer 加一个令牌"))
        try:
            key = parts[1].decode()
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed(_("令牌无效")) from error
        token = (
            ApiToken.objects.select_related("user", "bank")
            .filter(key_hash=token_hash(key), revoked_at__isnull=True)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("令牌无效或已吊销"))
        if token.scope == ApiToken.Scope.BANK:
            user = bank_principal(token)
        else:
            user = token.user
            if not user.is_active:
                raise exceptions.AuthenticationFailed(_("令牌所属账号已停用"))
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return user, token

    def authenticate_header(self, request):
        return f'{KEYWORD} realm="api"'


class TokenScheme(OpenApiAuthenticationExtension):
    """The token in the OpenAPI schema: an HTTP bearer scheme."""

    target_class = "pinghu_points.api_auth.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token created in the admin: `Authorization: Bearer ph_…`",
        }


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"
    cache = ConnectionProxy(caches, "throttle")  # looked up per use, like DRF's default

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
