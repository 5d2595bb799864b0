"""The API's two mounts (docs/api.md).

/api/v1/  the current version: the same viewsets, plus the bank's endpoints; a program
          authenticates with a token (`Authorization: Bearer …`, pinghu_points.api_auth),
          a browser with its session; requests made with a token are throttled per token.
/api/     the first, unversioned paths: they keep working as before (session or HTTP Basic,
          no token), answer with `Deprecation: true` and a `Link` to their successor, and
          are marked deprecated in the OpenAPI schema.
"""

from django.urls import include, path
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.routers import DefaultRouter

from banking.api import BankHouseholdViewSet, BankLookupView, CreditGradeViewSet
from communities.api import HouseholdScoreViewSet, ScoreEventViewSet
from dividends.api import DividendRunViewSet
from villages.api import CooperativeViewSet, HouseholdViewSet

from .api_auth import TokenAuthentication, TokenRateThrottle

V1_PREFIX = "/api/v1/"


class Router(DefaultRouter):
    """Detail routes take their id through the bounded `id` converter
    (`pinghu_points.parameters`): a number that is no id is a 404, never a query.
    No `.json` suffix routes: JSON is the default answer already."""

    include_format_suffixes = False

    def __init__(self):
        super().__init__(use_regex_path=False)
        self._default_value_pattern = "id"


class Version1:
    """On /api/v1/: a token first (so an anonymous program is told 401 and how to
    authenticate), then the browser's session or HTTP Basic; throttled per token."""

    authentication_classes = [TokenAuthentication, SessionAuthentication, BasicAuthentication]
    throttle_classes = [TokenRateThrottle]


class Deprecated:
    """On the unversioned /api/ paths: tell the caller where the same answer lives now."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Deprecation"] = "true"
        successor = V1_PREFIX + request.path_info.removeprefix("/api/")
        response["Link"] = f'<{successor}>; rel="successor-version"'
        return response


def mounted(mixin, view):
    return type(
        view.__name__, (mixin, view), {"__doc__": view.__doc__, "__module__": view.__module__}
    )


VIEWSETS = [
    ("cooperatives", CooperativeViewSet, "cooperative"),
    ("households", HouseholdViewSet, "household"),
    ("score-events", ScoreEventViewSet, "score-event"),
    ("household-scores", HouseholdScoreViewSet, "household-score"),
    ("dividend-runs", DividendRunViewSet, "dividend-run"),
]

router = Router()
for prefix, viewset, basename in VIEWSETS:
    router.register(prefix, mounted(Deprecated, viewset), basename=basename)

v1_router = Router()
for prefix, viewset, basename in VIEWSETS:
    v1_router.register(prefix, mounted(Version1, viewset), basename=basename)
v1_router.register(
    "bank/households", mounted(Version1, BankHouseholdViewSet), basename="bank-household"
)
v1_router.register("bank/grades", mounted(Version1, CreditGradeViewSet), basename="bank-grade")

v1_urlpatterns = [
    path("bank/lookup/", mounted(Version1, BankLookupView).as_view(), name="bank-lookup"),
    *v1_router.urls,
]

urlpatterns = [
    path("v1/", include((v1_urlpatterns, "v1"))),
    *router.urls,
]


def mark_deprecated(result, generator, request, public):
    """drf-spectacular postprocessing hook: the unversioned paths are deprecated."""
    for route, operations in result.get("paths", {}).items():
        if route.startswith("/api/") and not route.startswith(V1_PREFIX):
            for operation in operations.values():
                if isinstance(operation, dict):
                    operation["deprecated"] = True
    return result
