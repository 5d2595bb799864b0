"""Throttling per API token (docs/api.md, "Rates"): requests made with a token count against
that token, whoever else uses the API; session and password requests are not throttled
here. The rate is REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"] (API_TOKEN_RATE)."""

from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
