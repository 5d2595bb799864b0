"""Throttling per API token (docs/api.md, "Rates"): requests made with a token count against
that token, whoever else uses the API; session and password requests are not throttled
here. The rate is REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"] (API_TOKEN_RATE).

The counters live in the "throttle" cache: shared by every web process when
THROTTLE_CACHE_URL points at Redis (settings). With Redis down a token request answers
503, as with any dependency that is down (pinghu_points/errors.py)."""

from django.core.cache import caches
from django.utils.connection import ConnectionProxy
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"
    cache = ConnectionProxy(caches, "throttle")  # looked up per use, like DRF's default

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
